#!/usr/bin/env node
// Browser test of the alerts page (issue #6) against the real `tilescope serve`, a real
// SMTP server (tools/smtp_receiver.py, aiosmtpd) and a webhook receiver
// (tools/webhook_receiver.py), all started here on 127.0.0.1.
//
//   node tests/web/alerts_ui_test.mjs <tilescope binary> --video .cache/media/vtest.avi \
//        [--artifacts <dir>] [--web-dir web  (serve the UI from the source tree)]
//
// The config has one camera looping the sample video, an email sink and a webhook sink,
// one rule for knives, and a short outbox back-off. In the browser:
//   1. the page lists the sinks, the config's rule and the delivery counts;
//   2. adds a rule for people through the dialog: a negative cooldown is refused by the
//      server, its message shown next to that field (the server names the field
//      rules[1].cooldown_per_track_s); fixed, with a time window, it is saved;
//   3. "Send test alert" on the email sink: ok with the time taken, and the SMTP server
//      has the message with the same delivery id;
//   4. people in the video become alerts: deliveries to both sinks appear as sent;
//   5. the SMTP server is stopped: the test alert shows the error; new email
//      deliveries go pending with the error, then failed (filter by the Failed tile);
//   6. the SMTP server is back: "Retry" on a failed delivery sends it;
//   7. edits the rule's severity, deletes the config's rule, the light theme;
//   8. a second server without an alerts section (the API answers, with no sinks): the
//      page says alerts are not configured.
// Screenshots go to <artifacts>/alerts-NN-*.png with the logs of the servers. Everything
// started here is stopped at the end, on failure too. Exit 77: skipped (no chromium, no
// playwright-core, no video, no /usr/bin/python3 with aiosmtpd).
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {api, check, kChromium, load_chromium, poll, progress, root, screenshot, skip, sleep, step, watch_page_errors, yaml_string} from './harness.mjs';

const kPython = '/usr/bin/python3';
const kTotalTimeoutMs = 600_000;
const kStartTimeoutMs = 120_000;
const kEventTimeoutMs = 240_000;  // the first people in the video becoming events

// --- arguments -------------------------------------------------------------------------
function parse_args(argv) {
  const args = {binary: '', video: path.join(root, '.cache/media/vtest.avi'), artifacts: '', web_dir: ''};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--video')
      args.video = argv[++i];
    else if (a === '--artifacts')
      args.artifacts = argv[++i];
    else if (a === '--web-dir')
      args.web_dir = path.resolve(argv[++i]);
    else if (a.startsWith('--'))
      throw new Error(`unknown option ${a}`);
    else
      args.binary = a;
  }
  args.artifacts ||= process.env.TILESCOPE_TEST_ARTIFACTS || path.resolve('test-artifacts/web');
  return args;
}

const args = parse_args(process.argv.slice(2));

const chromium = load_chromium();
if (!fs.existsSync(args.video)) skip(`${args.video} is missing (scripts/setup fetches it)`);
if (spawnSync(kPython, ['-c', 'import aiosmtpd'], {stdio: 'ignore'}).status !== 0)
  skip(`${kPython} cannot import aiosmtpd (apt-get install python3-aiosmtpd)`);
if (!fs.existsSync(args.binary)) {
  console.error(`error: tilescope binary '${args.binary}' not found`);
  process.exit(2);
}
fs.mkdirSync(args.artifacts, {recursive: true});

// --- processes: tilescope and the receivers -------------------------------------------------
const children = [];  // {name, child, exited}

function track(name, child, log_path) {
  const log = fs.createWriteStream(log_path, {flags: 'a'});
  const entry = {name, child, log_path, exited: null, output: ''};
  const on_data = (chunk) => {
    log.write(chunk);
    entry.output = (entry.output + chunk.toString()).slice(-20000);
  };
  child.stdout?.on('data', on_data);
  child.stderr?.on('data', on_data);
  entry.exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    entry.exited = {code, signal};
    resolve(entry.exited);
  }));
  children.push(entry);
  return entry;
}

// SIGTERM, then SIGKILL when it has not exited within 15 s.
async function stop(entry) {
  if (!entry || entry.exited) return;
  entry.child.kill('SIGTERM');
  const stopped = await Promise.race([entry.exit.then(() => true), sleep(15_000).then(() => false)]);
  if (!stopped) {
    console.error(`${entry.name} did not stop within 15 s of SIGTERM: killing it`);
    entry.child.kill('SIGKILL');
    await entry.exit;
  }
}

async function stop_all() {
  await Promise.all(children.map(stop));
}

// A receiver from tools/ (python), listening once it wrote <dir>/ready with its port.
async function start_receiver(name, script, dir, extra = []) {
  fs.mkdirSync(dir, {recursive: true});
  fs.rmSync(path.join(dir, 'ready'), {force: true});
  const child = spawn(kPython, [path.join(root, 'tools', script), '--dir', dir, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = track(name, child, path.join(args.artifacts, `alerts-${name}.log`));
  const ready = path.join(dir, 'ready');
  const deadline = Date.now() + 20_000;
  while (!fs.existsSync(ready)) {
    if (entry.exited) throw new Error(`${name} exited (${entry.exited.code}): ${entry.output.slice(-1000)}`);
    if (Date.now() > deadline) throw new Error(`${name} did not write ${ready} within 20 s`);
    await sleep(100);
  }
  entry.port = Number(fs.readFileSync(ready, 'utf8'));
  console.log(`${name}: 127.0.0.1:${entry.port}`);
  return entry;
}

function write_config(dir, {camera, smtp_port, webhook_port}) {
  const lines = [
    'server:',
    '  bind: 127.0.0.1',
    '  port: 8080',
    'storage:',
    `  path: ${yaml_string(path.join(dir, 'data'))}`,
    '  retention_days: 0',
    '  max_gb: 0',
  ];
  if (camera) {
    lines.push(
        'cameras:',
        '  - name: lobby',
        `    url: ${yaml_string(camera)}`,
        '    fps_limit: 4',
        '    loop: true',
        '    events: {classes: [person], min_score: 0.4, confirm_n: 2, confirm_m: 4}',
    );
  } else {
    lines.push('cameras: []');
  }
  if (smtp_port) {
    lines.push(
        'alerts:',
        '  sinks:',
        '    - name: mailroom',
        '      type: email',
        `      smtp_url: smtp://127.0.0.1:${smtp_port}`,
        '      from: nvr@example.com',
        '      to: [guard@example.com]',
        '      timeout_s: 5',
        '    - name: soc',
        '      type: webhook',
        `      url: http://127.0.0.1:${webhook_port}/hook`,
        '      secret: s3cret',
        '      timeout_s: 5',
        '  rules:',
        '    - name: knives',
        '      classes: [knife]',
        '      min_score: 0.6',
        '      severity: critical',
        '      sinks: [soc]',
        // Short back-off: a delivery to a stopped SMTP server fails within seconds.
        '  outbox: {max_attempts: 3, backoff_initial_s: 1, backoff_max_s: 2}',
    );
  }
  fs.mkdirSync(dir, {recursive: true});
  const file = path.join(dir, 'tilescope.yml');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

// Starts `tilescope serve` on a port of its choosing; resolves with its base URL once
// /healthz answers.
async function start_server(name, config) {
  const argv = ['serve', '--config', config, '--port', '0'];
  if (args.web_dir) argv.push('--web-dir', args.web_dir);
  const child = spawn(args.binary, argv, {stdio: ['ignore', 'pipe', 'pipe']});
  const entry = track(name, child, path.join(args.artifacts, `alerts-${name}.log`));
  const deadline = Date.now() + kStartTimeoutMs;
  let url = '';
  while (!url) {
    const m = /open (http:\/\/[^\s]+)/.exec(entry.output);
    if (m) url = m[1].replace(/\/$/, '');
    if (entry.exited)
      throw new Error(`${name} exited (${entry.exited.code ?? entry.exited.signal}) before it was ready:\n${
          entry.output.slice(-2000)}`);
    if (Date.now() > deadline)
      throw new Error(`${name}: no "open http://..." line within ${kStartTimeoutMs / 1000} s`);
    await sleep(100);
  }
  await poll(
      `${name} /healthz`, async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, 30_000, 250);
  console.log(`${name}: ${url}`);
  return url;
}

// --- helpers -------------------------------------------------------------------------------
async function shot(page, name) {
  await screenshot(page, path.join(args.artifacts, `alerts-${name}.png`));
}

// The messages the SMTP receiver saved: [{meta, eml}] in order.
function received_mail(dir) {
  return fs.readdirSync(dir)
      .filter((n) => /^\d+\.json$/.test(n))
      .sort()
      .map((n) => ({
             meta: JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')),
             eml: fs.readFileSync(path.join(dir, n.replace('.json', '.eml')), 'latin1'),
           }));
}

function received_hooks(dir) {
  return fs.readdirSync(dir)
      .filter((n) => /^\d+\.json$/.test(n))
      .sort()
      .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')));
}

// Adds a value to a class_picker by typing it and pressing Enter.
async function pick(dialog, name, value) {
  const input = dialog.locator(`.picker[data-name="${name}"] input.picker-input`);
  await input.fill(value);
  await input.press('Enter');
  await dialog.locator(`.picker[data-name="${name}"] .chip[data-value="${value}"]`).waitFor();
}

// --- the scenario -----------------------------------------------------------------------------
async function alerts_scenario(browser, base, env) {
  const context = await browser.newContext({viewport: {width: 1440, height: 900}, colorScheme: 'dark'});
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  watch_page_errors(page);
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`  console: ${m.text()}`);
  });
  const mail_card = page.locator('.sink-card[data-sink="mailroom"]');

  await step('the page lists sinks, rules and counts', async () => {
    await page.goto(`${base}/#/alerts`);
    await page.locator('.nav-link.active[data-nav="alerts"]').waitFor();
    await mail_card.waitFor();
    await page.locator('.sink-card[data-sink="soc"]').waitFor();
    const target = await mail_card.locator('.sink-target').textContent();
    check(
        target.includes('guard@example.com') && target.includes(`127.0.0.1:${env.smtp.port}`),
        `the email sink shows where it sends (got "${target}")`);
    await page.locator('tr[data-rule="knives"]').waitFor();
    for (const state of ['pending', 'sent', 'failed'])
      await page.locator(`.count-tile[data-metric="${state}"] .metric-value`).waitFor();
    await shot(page, '01-overview');
  });

  await step('add a rule: a bad value is refused, naming the field', async () => {
    await page.locator('.rules-panel').getByRole('button', {name: 'Add rule'}).click();
    const dialog = page.locator('dialog.rule-dialog');
    await dialog.waitFor();
    await dialog.locator('input[name="name"]').fill('people');
    await pick(dialog, 'classes', 'person');
    await pick(dialog, 'sinks', 'mailroom');
    await pick(dialog, 'sinks', 'soc');
    await dialog.locator('input[name="cooldown_per_track_s"]').fill('-5');
    // A time window every day (Mon-Fri by default, plus Sat and Sun), from a time the
    // server does not read.
    await dialog.getByRole('button', {name: 'Add time window'}).click();
    for (const day of ['sat', 'sun'])
      await dialog.locator(`.schedule-row .day-toggle[data-day="${day}"]`).click();
    await dialog.locator('.schedule-row input[name="schedule.from"]').fill('7pm');
    const answer = page.waitForResponse(
        (r) => r.request().method() === 'PUT' && r.url().endsWith('/api/v1/alerts/rules'));
    await dialog.locator('button[type="submit"]').click();
    const refused = await answer;
    check(refused.status() === 400, `the server refuses a negative cooldown (status ${refused.status()})`);
    const error = (await refused.json()).error;
    check(
        error.field === 'rules[1].cooldown_per_track_s', `the server names the field (got "${error.field}")`);
    const slot = dialog.locator('.field[data-path="cooldown_per_track_s"].invalid .field-error');
    await slot.waitFor();
    const message = await slot.textContent();
    check(message.includes('>= 0'), `the field shows the server's message (got "${message}")`);
    const window_error = dialog.locator('.schedule-row[data-path="schedule[0]"].invalid .field-error');
    await window_error.waitFor();
    check((await window_error.textContent()).includes('HH:MM'), 'the time window shows its own error');
    check(await dialog.locator('.form-error').isHidden(), 'no other error is shown');
    await shot(page, '02-rule-error');

    await dialog.locator('input[name="cooldown_per_track_s"]').fill('0');
    await dialog.locator('.schedule-row input[name="schedule.from"]').fill('');  // all day
    await dialog.locator('button[type="submit"]').click();
    await dialog.waitFor({state: 'detached'});
    await page.locator('tr[data-rule="people"]').waitFor();
    const rules = (await api(base, 'GET', '/api/v1/alerts/rules')).body;
    const people = rules.rules.find((r) => r.name === 'people');
    check(people, 'the API has the rule added in the dialog');
    check(
        JSON.stringify(people.classes) === '["person"]', `classes saved (${JSON.stringify(people.classes)})`);
    check(
        JSON.stringify(people.sinks) === '["mailroom","soc"]',
        `sinks saved (${JSON.stringify(people.sinks)})`);
    check(people.schedule.length === 1 && people.schedule[0].days.length === 7, 'the time window was saved');
    check(rules.origin === 'api', `rules edited in the UI are the API's (origin ${rules.origin})`);
    const when = await page.locator('tr[data-rule="people"]').textContent();
    check(when.includes('Every day all day'), `the rule row shows its window (got "${when}")`);
  });

  await step('send a test alert to the email sink', async () => {
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/alerts/sinks/mailroom/test'));
    await mail_card.getByRole('button', {name: 'Send test alert'}).click();
    const result = await (await answer).json();
    check(result.ok === true, `the test alert was sent (error "${result.error}")`);
    const shown = mail_card.locator('.sink-test[data-result="ok"]');
    await shown.waitFor();
    check(/\d+ ms/.test(await shown.textContent()), 'the result shows the time taken');
    // Alerts of the new rule may arrive too: the test mail is the one with its delivery id.
    const mail = await poll(
        'the test mail at the SMTP server',
        () => received_mail(env.mail_dir).find((m) => m.eml.includes(result.delivery_id)), 10_000, 100);
    check(/X-Tilescope-Event: test|Subject: .*test/i.test(mail.eml), 'the mail is a test alert');
    check(mail.meta.rcpt_tos.includes('guard@example.com'), 'the mail went to the configured recipient');
    await shot(page, '03-test-ok');
  });

  await step('people in the video become alerts: deliveries sent', async () => {
    const sent = page.locator('.delivery-table tr[data-sink="mailroom"][data-state="sent"]').first();
    await sent.waitFor({timeout: kEventTimeoutMs});
    await page.locator('.delivery-table tr[data-sink="soc"][data-state="sent"]').first().waitFor({
      timeout: 30_000
    });
    const id = await sent.getAttribute('data-delivery');
    await poll(
        'the mail of that delivery', () => received_mail(env.mail_dir).some((m) => m.eml.includes(id)),
        10_000, 200);
    const hooks = received_hooks(env.hook_dir);
    const hook = hooks.find((r) => r.headers['x-tilescope-event'] === 'new');
    check(hook && hook.signature_valid === true, 'the webhook got a signed alert');
    const sent_count =
        Number((await page.locator('.count-tile[data-metric="sent"] .metric-value').textContent())
                   .replace(/\D/g, ''));
    check(sent_count >= 2, `the Sent tile counts them (${sent_count})`);
    await mail_card.locator('.sink-state', {hasText: 'Last alert sent'}).waitFor();
    await shot(page, '04-sent');
  });

  let failed_id = '';
  await step('the SMTP server stops: the error is shown, deliveries fail', async () => {
    await stop(env.smtp);
    await mail_card.getByRole('button', {name: 'Send test alert'}).click();
    const shown = mail_card.locator('.sink-test[data-result="error"]');
    await shown.waitFor();
    const text = await shown.textContent();
    check(/failed after \d+ ms: \S+/.test(text), `the test shows the error and the time (got "${text}")`);
    // New people -> new deliveries; each is tried 3 times (1 s, 2 s apart), then failed.
    const trouble = page.locator(
        '.delivery-table tr[data-sink="mailroom"][data-state="pending"] td.delivery-error:not(:empty), ' +
        '.delivery-table tr[data-sink="mailroom"][data-state="failed"] td.delivery-error:not(:empty)');
    await trouble.first().waitFor({timeout: kEventTimeoutMs});
    await shot(page, '05-smtp-down');
    await page.locator('.count-tile[data-metric="failed"]').click();
    await page.waitForURL(/state=failed/);
    const row = page.locator('.delivery-table tr[data-sink="mailroom"][data-state="failed"]').first();
    await row.waitFor({timeout: 60_000});
    failed_id = await row.getAttribute('data-delivery');
    const error_text = (await row.locator('td.delivery-error').textContent()).trim();
    const delivery = (await api(base, 'GET', `/api/v1/alerts/deliveries/${failed_id}`)).body;
    check(
        delivery.state === 'failed' && delivery.attempts === 3,
        `failed after 3 attempts (${delivery.attempts})`);
    check(
        error_text.length > 0 && error_text === delivery.last_error,
        `the row shows the delivery's error ("${error_text}" vs "${delivery.last_error}")`);
    check(
        (await page.locator('.delivery-table tr[data-state]:not([data-state="failed"])').count()) === 0,
        'the Failed filter shows failed deliveries only');
    await mail_card.locator('.sink-state-text').filter({hasText: /failed|Retrying/}).waitFor();
    // Tall enough for the failed delivery too: docs/images/ui-alerts.jpg is made from it.
    await page.setViewportSize({width: 1440, height: 1180});
    await shot(page, '06-failed');
    await page.setViewportSize({width: 1440, height: 900});
  });

  await step('the SMTP server is back: retry a failed delivery', async () => {
    env.smtp =
        await start_receiver('smtp', 'smtp_receiver.py', env.mail_dir, ['--port', String(env.smtp.port)]);
    await page.locator(`.delivery-table tr[data-delivery="${failed_id}"]`)
        .getByRole('button', {name: 'Retry'})
        .click();
    await poll('the retried delivery sent', async () => {
      const d = (await api(base, 'GET', `/api/v1/alerts/deliveries/${failed_id}`)).body;
      return d.state === 'sent';
    }, 60_000);
    check(
        received_mail(env.mail_dir).some((m) => m.eml.includes(failed_id)),
        'the SMTP server has the retried mail');
    // The Failed filter no longer lists it.
    await page.locator(`.delivery-table tr[data-delivery="${failed_id}"]`).waitFor({state: 'detached'});
  });

  await step('edit and delete rules; the light theme', async () => {
    await page.goto(`${base}/#/alerts`);
    await page.locator('tr[data-rule="people"]').getByRole('button', {name: 'Edit people'}).click();
    const dialog = page.locator('dialog.rule-dialog');
    await dialog.waitFor();
    check(
        (await dialog.locator('.picker[data-name="sinks"] .chip').count()) === 2,
        'the dialog shows the sinks');
    await dialog.locator('select[name="severity"]').selectOption('critical');
    await dialog.locator('button[type="submit"]').click();
    await dialog.waitFor({state: 'detached'});
    await page.locator('tr[data-rule="people"] .badge-critical').waitFor();

    await page.locator('tr[data-rule="knives"]').getByRole('button', {name: 'Delete knives'}).click();
    await page.locator('dialog.modal-small').getByRole('button', {name: 'Delete rule'}).click();
    await page.locator('tr[data-rule="knives"]').waitFor({state: 'detached'});
    const names = (await api(base, 'GET', '/api/v1/alerts/rules')).body.rules.map((r) => r.name);
    check(JSON.stringify(names) === '["people"]', `the API has the rules the UI shows (${names})`);
    await page.locator('.delivery-table tr[data-state="sent"]').first().waitFor();
    // Tall enough for the deliveries too.
    await page.setViewportSize({width: 1440, height: 1400});
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('.toast').first().waitFor({state: 'detached', timeout: 15_000});  // no toasts left
    await shot(page, '07-dark');
    await page.locator('.theme-toggle').click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    await sleep(300);
    await shot(page, '08-light');
    await page.setViewportSize({width: 1440, height: 900});
    await page.locator('.theme-toggle').click();
  });
  await context.close();
}

async function off_scenario(browser, base) {
  const context = await browser.newContext({viewport: {width: 1280, height: 720}, colorScheme: 'dark'});
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  watch_page_errors(page);
  await step('a server without alerts says so', async () => {
    // The alerts service runs anyway, with no sinks and so no rules (a rule needs a sink).
    const r = await api(base, 'GET', '/api/v1/alerts');
    check(
        r.status === 200 && r.body.sinks === 0 && r.body.rules === 0,
        `/api/v1/alerts without an alerts section: ${r.status} ${JSON.stringify(r.body)}`);
    await page.goto(`${base}/#/alerts`);
    await page.locator('.alerts-off h2', {hasText: 'Alerts are not configured'}).waitFor();
    await shot(page, '09-not-configured');
  });
  await context.close();
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tilescope-web-alerts-'));
  let browser = null;
  let failed = false;
  const watchdog = setTimeout(async () => {
    console.error(`FAIL: the test ran over ${kTotalTimeoutMs / 1000} s (step: ${progress.step})`);
    await stop_all();
    process.exit(1);
  }, kTotalTimeoutMs);
  try {
    const env = {mail_dir: path.join(tmp, 'mail'), hook_dir: path.join(tmp, 'hooks')};
    env.smtp = await start_receiver('smtp', 'smtp_receiver.py', env.mail_dir, ['--port', '0']);
    env.hooks = await start_receiver(
        'webhook', 'webhook_receiver.py', env.hook_dir, ['--port', '0', '--secret', 's3cret']);
    const config = write_config(
        path.join(tmp, 'main'), {camera: args.video, smtp_port: env.smtp.port, webhook_port: env.hooks.port});
    const base = await start_server('server', config);
    browser = await chromium.launch({executablePath: kChromium, args: ['--no-sandbox']});
    await alerts_scenario(browser, base, env);
    await off_scenario(browser, await start_server('server-off', write_config(path.join(tmp, 'off'), {})));
    console.log('PASS');
  } catch (e) {
    failed = true;
    console.error(`FAIL in step "${progress.step}": ${e.stack || e}`);
    for (const c of children) console.error(`${c.name} log: ${c.log_path}`);
    if (browser) {
      for (const context of browser.contexts()) {
        for (const p of context.pages())
          await p.screenshot({path: path.join(args.artifacts, 'alerts-failure.png'), fullPage: true})
              .catch(() => {});
      }
    }
  } finally {
    await browser?.close().catch(() => {});
    await stop_all();
    clearTimeout(watchdog);
    fs.rmSync(tmp, {recursive: true, force: true});
  }
  process.exit(failed ? 1 : 0);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    await stop_all();
    process.exit(1);
  });
}

main();
