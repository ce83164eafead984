// What the browser tests (ui_test.mjs, alerts_ui_test.mjs) share: skipping when Chromium or
// playwright-core is missing, the JSON API helper, polling, screenshots, and named steps that
// fail on uncaught errors in the page.
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const kSkip = 77;
export const kChromium = '/usr/bin/chromium';
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(kSkip);
}

// playwright-core's chromium launcher, or a skip (exit 77) naming what is missing.
export function load_chromium() {
  if (!fs.existsSync(kChromium)) skip(`${kChromium} is not installed (apt-get install chromium)`);
  try {
    return createRequire(path.join(root, 'web', 'package.json'))('playwright-core').chromium;
  } catch {
    skip('web/node_modules/playwright-core is missing (scripts/setup, or: cd web && npm ci)');
  }
}

export function yaml_string(s) {
  return JSON.stringify(s);  // a JSON string is a valid YAML double-quoted scalar
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

export async function api(base, method, route, body) {
  const r = await fetch(`${base}${route}`, {
    method,
    headers: body ? {'Content-Type': 'application/json'} : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return {status: r.status, body: text ? JSON.parse(text) : null};
}

export async function poll(what, fn, timeout_ms, every_ms = 500) {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout_ms / 1000} s waiting for ${what}`);
    await sleep(every_ms);
  }
}

export async function screenshot(page, file) {
  await page.screenshot({path: file});
  console.log(`  screenshot ${file}`);
}

// The step running now (for failure messages) and the page's uncaught errors, which fail the
// step they happen in.
export const progress = {
  step: '',
  page_errors: []
};

export function watch_page_errors(page) {
  page.on('pageerror', (e) => progress.page_errors.push(e.message));
}

export async function step(name, fn) {
  progress.step = name;
  const t0 = Date.now();
  console.log(`- ${name}`);
  await fn();
  if (progress.page_errors.length)
    throw new Error(`uncaught errors in the page: ${progress.page_errors.join(' | ')}`);
  console.log(`  ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
