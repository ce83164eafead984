#!/usr/bin/env node
// Browser test of the web UI against the real `tilescope serve` (issue #5): Debian's
// chromium driven by npm playwright-core (web/node_modules, installed by scripts/setup).
//
//   node tests/web/ui_test.mjs <tilescope binary> --video .cache/media/vtest.avi \
//        [--artifacts <dir>] [--url http://host:port  (an already running server)]
//
// It writes a config in a temporary folder (port chosen by the server, storage there,
// one camera looping the sample video), starts the server and, in the browser:
//   1. the camera grid shows the camera live (MJPEG <img> decoding, state badge "live"),
//      and a camera that cannot connect (retrying, with its error); editing that one
//      shows its URL without the password and sends "***" back, which keeps it;
//   2. adds a second camera through the dialog: an invalid name is refused with the
//      message next to the field, "Test connection" reports the stream, save;
//   3. the new camera's page shows live frames and a person in the objects list (from
//      the WebSocket frame messages);
//   4. draws a zone on the first camera's frame, names and saves it, moves a corner,
//      reloads: the zone is still drawn, and the API holds the same points;
//   5. waits for an event, opens it from the events page: snapshot and details, steps
//      to the next one and deletes it; a filter goes into the URL;
//   6. the system page draws its charts (pixels on the canvases) and camera table;
//   7. the server is stopped and started again on the same port: the page shows the
//      connection lost, reconnects by itself and the camera comes back live;
//   8. removes the added camera through the dialog;
//   9. a second server with a login: wrong password refused, right one lets in, sign out.
// Screenshots of every page go to <artifacts> (default ./test-artifacts/web), with the
// server's log. The server is stopped at the end, on failure too. Exit 77: skipped
// (no chromium, no playwright-core, no video).
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {api, check, kChromium, load_chromium, poll, progress, root, screenshot, skip, sleep, step, watch_page_errors, yaml_string} from './harness.mjs';

const kTotalTimeoutMs = 600_000;
const kStartTimeoutMs = 120_000;

// --- arguments -------------------------------------------------------------------------
function parse_args(argv) {
  const args = {binary: '', video: path.join(root, '.cache/media/vtest.avi'), artifacts: '', url: ''};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--video')
      args.video = argv[++i];
    else if (a === '--artifacts')
      args.artifacts = argv[++i];
    else if (a === '--url')
      args.url = argv[++i];
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
if (!args.url && !fs.existsSync(args.video)) skip(`${args.video} is missing (scripts/setup fetches it)`);
if (!args.url && !fs.existsSync(args.binary)) {
  console.error(`error: tilescope binary '${args.binary}' not found`);
  process.exit(2);
}
fs.mkdirSync(args.artifacts, {recursive: true});

// --- the server ---------------------------------------------------------------------------
const servers = [];

function write_config(dir, {cameras, auth}) {
  const lines = ['server:', '  bind: 127.0.0.1', '  port: 8080'];
  if (auth)
    lines.push(
        '  auth:', `    username: ${yaml_string(auth.username)}`,
        `    password: ${yaml_string(auth.password)}`);
  lines.push(
      'storage:', `  path: ${yaml_string(path.join(dir, 'data'))}`, '  retention_days: 0', '  max_gb: 0');
  lines.push(cameras.length ? 'cameras:' : 'cameras: []');
  for (const c of cameras) {
    lines.push(
        `  - name: ${c.name}`,
        `    url: ${yaml_string(c.url)}`,
        '    fps_limit: 4',
        '    loop: true',
        '    events: {classes: [person], min_score: 0.4, confirm_n: 2, confirm_m: 4}',
    );
  }
  fs.mkdirSync(dir, {recursive: true});
  const file = path.join(dir, 'tilescope.yml');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

// Starts `tilescope serve` (port 0: the server picks one) and resolves with its base URL
// once /healthz answers. The log goes to <artifacts>/<name>.log (appended).
async function start_server(name, config, port = 0) {
  const log_path = path.join(args.artifacts, `${name}.log`);
  const log = fs.createWriteStream(log_path, {flags: port ? 'a' : 'w'});
  const child = spawn(args.binary, ['serve', '--config', config, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = {child, log_path, exited: null};
  servers.push(server);
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
        () => reject(new Error(
            `${name}: no "open http://..." line within ${kStartTimeoutMs / 1000} s; see ${log_path}`)),
        kStartTimeoutMs);
    const on_data = (chunk) => {
      log.write(chunk);
      output += chunk.toString();
      const m = /open (http:\/\/[^\s]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    };
    child.stdout.on('data', on_data);
    child.stderr.on('data', on_data);
    child.on('exit', (code, signal) => {
      server.exited = {code, signal};
      clearTimeout(timer);
      reject(new Error(`${name}: the server exited (${code ?? signal}) before it was ready; see ${
          log_path}:\n${output.slice(-2000)}`));
    });
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${name}: /healthz did not answer at ${url}`);
    await sleep(250);
  }
  console.log(`${name}: ${url}`);
  return url;
}

// SIGTERM, then SIGKILL when it has not exited within 15 s.
async function stop_server(s) {
  if (s.exited) return;
  const exited = new Promise((resolve) => s.child.once('exit', () => resolve(true)));
  s.child.kill('SIGTERM');
  const stopped = await Promise.race([exited, sleep(15_000).then(() => false)]);
  if (!stopped) {
    console.error('the server did not stop within 15 s of SIGTERM: killing it');
    s.child.kill('SIGKILL');
    await exited;
  }
}

async function stop_servers() {
  await Promise.all(servers.map(stop_server));
}

async function shot(page, name) {
  await screenshot(page, path.join(args.artifacts, `${name}.png`));
}

// Waits until the <img> has decoded a picture.
async function wait_image(page, selector, timeout = 60_000) {
  await page.waitForFunction(
      (sel) => {
        const img = document.querySelector(sel);
        return img && img.complete !== undefined && img.naturalWidth > 0;
      },
      selector,
      {timeout},
  );
}

// How many pixels of a canvas are not transparent.
async function painted_pixels(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    if (!c || !c.width || !c.height) return 0;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4)
      if (data[i] > 0) n++;
    return n;
  }, selector);
}

// --- the scenario ---------------------------------------------------------------------
// `restart(while_down)`: stops the server, runs while_down(), starts it again on the same
// port (null when the test runs against a server it did not start).
async function main_scenario(browser, base, restart) {
  const context = await browser.newContext({viewport: {width: 1440, height: 900}, colorScheme: 'dark'});
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  watch_page_errors(page);
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`  console: ${m.text()}`);
  });

  const cameras = (await api(base, 'GET', '/api/v1/cameras')).body.cameras;
  check(cameras.length >= 1, 'the config camera is listed by the API');
  const first = cameras[0];
  // A camera that cannot connect (nothing listens on port 9), with a password in its URL.
  const gate = await api(base, 'POST', '/api/v1/cameras', {
    name: 'gate',
    url: 'rtsp://admin:s3cret@127.0.0.1:9/live',
    fps_limit: 2,
  });
  check(gate.status === 201, `POST /api/v1/cameras for the offline camera (status ${gate.status})`);

  await step('camera grid shows the camera live', async () => {
    await page.goto(`${base}/`);
    const card = page.locator(`.camera-card[data-camera="${first.id}"]`);
    await card.waitFor();
    await wait_image(page, `.camera-card[data-camera="${first.id}"] img.live-img`);
    await card.locator('.badge[data-state="live"]').waitFor({timeout: 60_000});
    await page.locator('.connection[data-state="open"]').waitFor();
  });

  await step('an offline camera: state, error, password kept on edit', async () => {
    const card = page.locator(`.camera-card[data-camera="${gate.body.id}"]`);
    await card.locator('.badge[data-state="retrying"], .badge[data-state="connecting"]').first().waitFor();
    await card.locator('.card-reason:not([hidden])').waitFor({timeout: 60_000});
    await shot(page, '01-cameras');
    // The URL <-> password split follows redact_url: user-info up to the last '@'.
    const cases = await page.evaluate(async () => {
      const m = await import('/static/js/components/camera_dialog.js');
      return [
        m.split_credentials('rtsp://a:b@c@h:554/x'),
        m.split_credentials('/videos/a.mp4'),
        m.join_credentials('rtsp://u@h/x', 'p w'),
        m.join_credentials('rtsp://h/x', 'pw'),
      ];
    });
    const expected = [
      {url: 'rtsp://a@h:554/x', password: 'b@c'},
      {url: '/videos/a.mp4', password: ''},
      'rtsp://u:p%20w@h/x',
      null,
    ];
    check(
        JSON.stringify(cases) === JSON.stringify(expected),
        `credentials split/join: ${JSON.stringify(cases)}`);
    await card.locator('[aria-label="Edit gate"]').click();
    const dialog = page.locator('dialog.camera-dialog');
    await dialog.waitFor();
    const shown = await dialog.locator('input[name="url"]').inputValue();
    check(shown === 'rtsp://admin@127.0.0.1:9/live', `the URL field shows no password (got "${shown}")`);
    check(
        (await dialog.locator('input[name="password"]').inputValue()) === '',
        'the password field starts empty');
    await dialog.locator('input[name="fps_limit"]').fill('3');
    const put = page.waitForRequest(
        (r) => r.method() === 'PUT' && r.url().endsWith(`/api/v1/cameras/${gate.body.id}`));
    await dialog.locator('button[type="submit"]').click();
    const sent = JSON.parse((await put).postData());
    check(
        sent.url === 'rtsp://admin:***@127.0.0.1:9/live',
        `an unchanged password goes back as *** (sent "${sent.url}")`);
    await dialog.waitFor({state: 'detached'});
    const after = (await api(base, 'GET', `/api/v1/cameras/${gate.body.id}`)).body;
    check(after.fps_limit === 3, 'the edit was saved');
    check(
        after.url === 'rtsp://admin:***@127.0.0.1:9/live',
        `the stored URL still has a password (API shows "${after.url}")`);
  });

  let added = null;
  await step('add a camera through the dialog', async () => {
    await page.locator('.page-actions .btn-primary', {hasText: 'Add camera'}).click();
    const dialog = page.locator('dialog.camera-dialog');
    await dialog.waitFor();
    await dialog.locator('input[name="name"]').fill('bad name!');
    await dialog.locator('input[name="url"]').fill(args.video);
    await dialog.locator('button[type="submit"]').click();
    // The server's validation issue lands next to the name field.
    const name_error = dialog.locator('.field[data-path="name"].invalid .field-error');
    await name_error.waitFor();
    check((await name_error.textContent()).trim().length > 0, 'the name field shows the server message');
    await dialog.locator('input[name="name"]').fill('yard');
    await dialog.getByRole('button', {name: 'Test connection'}).click();
    const result = dialog.locator('.test-result.ok');
    await result.waitFor({timeout: 60_000});
    const text = await result.textContent();
    check(/\d+×\d+/.test(text), `the connection test shows the frame size (got "${text}")`);
    await shot(page, '02-add-camera');
    await dialog.locator('button[type="submit"]').click();
    await dialog.waitFor({state: 'detached'});
    await page.waitForURL(/#\/camera\/\d+$/);
    const list = (await api(base, 'GET', '/api/v1/cameras')).body.cameras;
    added = list.find((c) => c.name === 'yard');
    check(added, 'the API lists the camera added in the dialog');
    check(page.url().endsWith(`#/camera/${added.id}`), 'the new camera page opened');
  });

  await step('live frames and a person on the new camera', async () => {
    await wait_image(page, 'img.live-img');
    await page.locator('.object-list .object-row[data-label="person"]').first().waitFor({timeout: 90_000});
    await page.locator('.live-objects .object-chip[data-label="person"]').first().waitFor();
    await sleep(500);  // the picture fades in
    await shot(page, '03-camera-live');
  });

  await step('draw, save, move and reload a zone', async () => {
    await page.goto(`${base}/#/camera/${first.id}`);
    await page.locator('.zone-stage.has-frame').waitFor({timeout: 60_000});
    const stage = page.locator('.zone-stage');
    await stage.scrollIntoViewIfNeeded();
    await page.getByRole('button', {name: 'Draw zone'}).click();
    // A point of the frame in page pixels, measured each time: the page may move.
    const at = async (x, y) => {
      const box = await stage.boundingBox();
      return [box.x + x * box.width, box.y + y * box.height];
    };
    const corners = [
      [0.2, 0.45],
      [0.6, 0.45],
      [0.65, 0.9],
      [0.15, 0.9],
    ];
    for (const [x, y] of corners) await page.mouse.click(...(await at(x, y)));
    await page.mouse.click(...(await at(...corners[0])));  // closes it
    const name = page.locator('input.zone-name').last();
    await name.fill('walkway');
    await page.getByRole('button', {name: 'Save zones'}).click();
    await page.locator('.zone-editor:not(.dirty)').waitFor();
    let zones = (await api(base, 'GET', `/api/v1/cameras/${first.id}`)).body.zones;
    let zone = zones.find((z) => z.name === 'walkway');
    check(zone, 'the API has the zone drawn in the browser');
    check(zone.points.length === 4, `the zone has 4 points (got ${zone.points.length})`);
    zone.points.forEach(
        ([x, y], i) => check(
            Math.abs(x - corners[i][0]) < 0.02 && Math.abs(y - corners[i][1]) < 0.02,
            `zone point ${i} is where it was clicked`),
    );

    // Move the first corner by dragging its handle.
    await page.locator('.zone-row', {has: page.locator('input.zone-name[value="walkway"]')}).click();
    const handle = page.locator('.zone-handle').first();
    await handle.waitFor();
    // The handle and the target from one measurement, so they agree with each other.
    const [from, to] = await page.evaluate(() => {
      const h = document.querySelector('.zone-handle').getBoundingClientRect();
      const s = document.querySelector('.zone-stage').getBoundingClientRect();
      return [[h.x + h.width / 2, h.y + h.height / 2], [s.x + 0.1 * s.width, s.y + 0.4 * s.height]];
    });
    await page.mouse.move(...from);
    await page.mouse.down();
    await page.mouse.move(...to, {steps: 5});
    await page.mouse.up();
    await page.getByRole('button', {name: 'Save zones'}).click();
    await page.locator('.zone-editor:not(.dirty)').waitFor();
    zones = (await api(base, 'GET', `/api/v1/cameras/${first.id}`)).body.zones;
    zone = zones.find((z) => z.name === 'walkway');
    check(
        Math.abs(zone.points[0][0] - 0.1) < 0.02 && Math.abs(zone.points[0][1] - 0.4) < 0.02,
        'the dragged corner was saved');

    await page.reload();
    await page.locator('.zone-stage.has-frame').waitFor({timeout: 60_000});
    await page.locator('.zone-label', {hasText: 'walkway'}).waitFor();
    check(
        (await page.locator('polygon.zone-shape').count()) >= 1, 'the zone polygon is drawn after a reload');
    await page.locator('.zones-panel').scrollIntoViewIfNeeded();
    await shot(page, '04-camera-zones');
  });

  await step('open an event and its snapshot', async () => {
    const events = await poll(
        'a first event',
        async () => {
          const r = await api(base, 'GET', '/api/v1/events?limit=5');
          return r.body.total > 0 ? r.body.events : null;
        },
        120_000,
        1000,
    );
    await page.goto(`${base}/#/events`);
    const card = page.locator('.event-card').first();
    await card.waitFor();
    await wait_image(page, '.event-card img', 30_000).catch(() => {});  // snapshots may still be writing
    await shot(page, '05-events');
    await card.click();
    const dialog = page.locator('dialog.event-dialog');
    await dialog.waitFor();
    await wait_image(page, 'dialog.event-dialog img.event-snapshot', 30_000);
    const facts = await dialog.locator('.event-facts').textContent();
    check(
        facts.includes(events[0].camera) || events.some((e) => facts.includes(e.camera)),
        'the event details name the camera');
    check(/#\/events\/\d+/.test(page.url()), 'the event has its own URL');
    await shot(page, '06-event');
    // Step to the next event with the arrow key, then delete that one.
    if (await dialog.getByRole('button', {name: 'Next event'}).isEnabled()) {
      const before = page.url();
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction((u) => location.href !== u, before);
    }
    const id = Number(/#\/events\/(\d+)/.exec(page.url())[1]);
    await dialog.getByRole('button', {name: 'Delete', exact: true}).click();
    await page.locator('dialog.modal-small').getByRole('button', {name: 'Delete event'}).click();
    await dialog.waitFor({state: 'detached'});
    await page.locator(`.event-card[data-event="${id}"]`).waitFor({state: 'detached'});
    const gone = await api(base, 'GET', `/api/v1/events/${id}`);
    check(gone.status === 404, `the deleted event is gone from the API (status ${gone.status})`);

    // A filter goes into the URL and the list follows it.
    await page.locator('.filter-bar select[aria-label="Camera"]').selectOption(String(first.id));
    await page.waitForURL(new RegExp(`camera=${first.id}`));
    await page.locator('.page-subtitle').filter({hasText: /event|No events/}).waitFor();
  });

  await step('system page charts', async () => {
    await page.goto(`${base}/#/system`);
    await page.locator('.data-table tbody tr').first().waitFor();
    await page.locator('.metric-tile[data-metric="model"] .metric-value').filter({hasNotText: '–'}).waitFor();
    // Status samples arrive every 2 s on the WebSocket: a few of them make lines.
    await poll('five status samples', () => page.evaluate(async (id) => {
      const {store} = await import('/static/js/store.js');
      return (store.history.get(id) || []).length >= 5;
    }, first.id), 30_000);
    await poll(
        'lines on the fps chart',
        async () => (await painted_pixels(page, '[data-chart="fps"] canvas')) > 2000, 20_000);
    check(
        (await painted_pixels(page, '[data-chart="latency"] canvas')) > 2000, 'the latency chart has lines');
    await shot(page, '07-system');
    await page.locator('.theme-toggle').click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    await sleep(300);
    await shot(page, '08-system-light');
    await page.locator('.theme-toggle').click();
  });

  if (restart) {
    await step('the server restarts: the page reconnects by itself', async () => {
      await page.goto(`${base}/#/cameras`);
      await page.locator('.connection[data-state="open"]').waitFor();
      const img = `.camera-card[data-camera="${first.id}"] img.live-img`;
      await wait_image(page, img);
      const stream_before = await page.locator(img).getAttribute('src');
      await restart(async () => {
        await page.locator('.connection[data-state="closed"]').waitFor();
      });
      // Backoff after ~2 s down: the next try comes within a few seconds.
      await page.locator('.connection[data-state="open"]').waitFor({timeout: 45_000});
      await page.locator(`.camera-card[data-camera="${first.id}"] .badge[data-state="live"]`).waitFor({
        timeout: 60_000
      });
      // A new MJPEG request (the old stream ended with the old server), and a picture.
      await page.waitForFunction(([sel, before]) => {
        const el = document.querySelector(sel);
        return el.getAttribute('src') !== before && el.naturalWidth > 0;
      }, [img, stream_before], {timeout: 60_000});
    });
  }

  await step('remove the added camera', async () => {
    await page.goto(`${base}/#/cameras`);
    await page.locator(`.camera-card[data-camera="${added.id}"] [aria-label="Edit yard"]`).click();
    const dialog = page.locator('dialog.camera-dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', {name: 'Remove', exact: true}).click();
    await page.locator('dialog.modal-small').getByRole('button', {name: 'Remove camera'}).click();
    await page.locator(`.camera-card[data-camera="${added.id}"]`).waitFor({state: 'detached'});
    const r = await api(base, 'GET', `/api/v1/cameras/${added.id}`);
    check(r.status === 404, `the removed camera is gone from the API (status ${r.status})`);
  });

  await context.close();
}

async function login_scenario(browser, base) {
  const context = await browser.newContext({viewport: {width: 1280, height: 800}, colorScheme: 'dark'});
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  watch_page_errors(page);
  await step('login page', async () => {
    const r = await api(base, 'GET', '/api/v1/cameras');
    check(r.status === 401, `the API needs a login (status ${r.status})`);
    await page.goto(`${base}/`);
    await page.locator('form.login-card').waitFor();
    await shot(page, '09-login');
    await page.locator('input[name="username"]').fill('operator');
    await page.locator('input[name="password"]').fill('wrong');
    await page.getByRole('button', {name: 'Sign in'}).click();
    await page.locator('.login-card .form-error:not([hidden])').waitFor();
    await page.locator('input[name="password"]').fill('correct horse');
    await page.getByRole('button', {name: 'Sign in'}).click();
    await page.locator('.sidebar').waitFor();
    await page.locator('.connection[data-state="open"]').waitFor();
    await page.locator('.empty-state', {hasText: 'No cameras yet'}).waitFor();
    await page.getByRole('button', {name: 'Sign out'}).click();
    await page.locator('form.login-card').waitFor();
    const after = await page.evaluate(async () => (await fetch('/api/v1/cameras')).status);
    check(after === 401, `signed out, the API refuses the browser again (status ${after})`);
  });
  await context.close();
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tilescope-web-'));
  let browser = null;
  let failed = false;
  const watchdog = setTimeout(async () => {
    console.error(`FAIL: the test ran over ${kTotalTimeoutMs / 1000} s (step: ${progress.step})`);
    await stop_servers();
    process.exit(1);
  }, kTotalTimeoutMs);
  try {
    let base = args.url;
    let restart = null;
    if (!base) {
      const config = write_config(path.join(tmp, 'main'), {cameras: [{name: 'lobby', url: args.video}]});
      base = await start_server('server', config);
      restart = async (while_down) => {
        await stop_server(servers[servers.length - 1]);
        await while_down();
        await start_server('server', config, Number(new URL(base).port));
      };
    }
    browser = await chromium.launch({executablePath: kChromium, args: ['--no-sandbox']});
    await main_scenario(browser, base, restart);
    if (!args.url) {
      const config = write_config(
          path.join(tmp, 'auth'), {cameras: [], auth: {username: 'operator', password: 'correct horse'}});
      await login_scenario(browser, await start_server('server-auth', config));
    }
    console.log('PASS');
  } catch (e) {
    failed = true;
    console.error(`FAIL in step "${progress.step}": ${e.stack || e}`);
    for (const s of servers) console.error(`server log: ${s.log_path}`);
    if (browser) {
      for (const context of browser.contexts()) {
        for (const p of context.pages())
          await p.screenshot({path: path.join(args.artifacts, 'failure.png'), fullPage: true})
              .catch(() => {});
      }
    }
  } finally {
    await browser?.close().catch(() => {});
    await stop_servers();
    clearTimeout(watchdog);
    fs.rmSync(tmp, {recursive: true, force: true});
  }
  process.exit(failed ? 1 : 0);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    await stop_servers();
    process.exit(1);
  });
}

main();
