// Firefox and WebKit for the cross-browser tests (not a test file itself), from Debian's packages
// only: Firefox ESR through puppeteer-core over WebDriver BiDi, WebKit (Safari's engine) through
// WebKitWebDriver and its MiniBrowser under Xvfb, over classic WebDriver with selenium-webdriver.
// Neither reports every request (the service worker's least of all), so each browser is pointed at
// a logging proxy on 127.0.0.1 that sees every request it sends, and can cut the network.
//
// `cargo xtask test` installs the packages and starts Xvfb (xtask/src/browsers.rs, DISPLAY); run
// alone, this starts its own. Each WebKit launch starts its own WebKitWebDriver, with a fresh HOME:
// MiniBrowser keeps its profile there and saves downloads to it.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SCREENSHOT_DIR, axeSource, wcagViolationsInPage } from './helpers.mjs';

export const FIREFOX = process.env.FIREFOX ?? '/usr/lib/firefox-esr/firefox-esr';
export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/**
 * A forward HTTP proxy on 127.0.0.1 that records every request (method, URL, headers, body, and
 * the `phase` current when it arrived) and forwards only those to 127.0.0.1. With `offline` set
 * it drops every connection, as a cut network does; `tamper` maps a path to a function that
 * changes its bytes on the way, as a compromised cache or network could. `headers` maps a path to
 * a function that changes its response headers (a host's own policy); `serve` maps a path to a
 * response the proxy gives itself ({ type, body, headers }: a test's host page or fixture).
 * HTTPS tunnels (CONNECT) are recorded and refused: nothing here may reach the internet.
 */
export async function startProxy() {
  const proxy = { log: [], phase: 'loading', offline: false, tamper: new Map(), headers: new Map(), serve: new Map() };
  const server = http.createServer((req, res) => {
    const at = Date.now(); // when the request arrived (tests compare it with the page's ready mark)
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method, url: req.url, headers: req.headers, body: body.toString('latin1'), phase: proxy.phase, at };
      proxy.log.push(entry);
      let target;
      try {
        target = new URL(req.url);
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (proxy.offline) {
        entry.offline = true;
        req.socket.destroy();
        return;
      }
      if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') {
        entry.refused = true;
        res.writeHead(403).end();
        return;
      }
      const own = proxy.serve.get(target.pathname);
      if (own) {
        entry.status = 200;
        const bytes = Buffer.from(own.body);
        res.writeHead(200, { 'content-type': own.type, 'content-length': bytes.length, 'cache-control': 'no-store', ...own.headers });
        res.end(bytes);
        return;
      }
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      const upstream = http.request({
        host: target.hostname, port: target.port, method: req.method, path: target.pathname + target.search, headers,
      }, (up) => {
        entry.status = up.statusCode;
        const change = proxy.tamper.get(target.pathname);
        const rewrite = proxy.headers.get(target.pathname);
        if (rewrite) up.headers = rewrite({ ...up.headers });
        if (!change || up.statusCode !== 200) {
          res.writeHead(up.statusCode, up.headers);
          up.pipe(res);
          return;
        }
        // A file changed in transit: the same headers, other bytes, never cached by the browser.
        const parts = [];
        up.on('data', (c) => parts.push(c));
        up.on('end', () => {
          const bytes = change(Buffer.concat(parts));
          entry.tampered = true;
          const headers = { ...up.headers };
          delete headers.etag;
          delete headers['last-modified'];
          res.writeHead(200, { ...headers, 'content-length': bytes.length, 'cache-control': 'no-store' });
          res.end(bytes);
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  server.on('connect', (req, socket) => {
    proxy.log.push({ method: 'CONNECT', url: req.url, headers: req.headers, body: '', phase: proxy.phase, refused: true });
    socket.destroy();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = server.address().port;
  proxy.close = () => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(resolve);
  });
  return proxy;
}

async function freePort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function waitForHttp(url, ms) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The function `fn` as a classic WebDriver async script, its result as { ok } or { error }. */
function asyncScript(fn) {
  return `const done = arguments[arguments.length - 1];
const args = Array.prototype.slice.call(arguments, 0, -1);
Promise.resolve().then(() => (${fn}).apply(null, args))
  .then((ok) => done({ ok: ok === undefined ? null : ok }), (e) => done({ error: String(e && e.stack || e) }));`;
}

/**
 * One browser, one tab, with the same small API for both engines. Tests drive the page as a user
 * does (typing, choosing, clicking) and read it back with `evaluate`.
 */
class Driver {
  constructor(name) {
    this.name = name;
    this.problems = [];
    this.a11y = [];
    this.downloadDir = mkdtempSync(path.join(os.tmpdir(), `credit-scorer-${name}-dl-`));
  }

  /** Polls `fn(...args)` in the page until it returns a truthy value; returns that value. */
  async waitFor(fn, args = [], { timeout = 60_000, what = String(fn) } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
      const v = await this.evaluate(fn, ...args).catch(() => null);
      if (v) return v;
      if (Date.now() > end) throw new Error(`${this.name}: timed out after ${timeout} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Records CSP violations, errors and unhandled rejections in the page from now on. */
  async watchProblems() {
    await this.evaluate(() => {
      if (window.__problems) return;
      window.__problems = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__problems.push(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`));
      window.addEventListener('error', (e) => window.__problems.push(`page error: ${e.message}`));
      window.addEventListener('unhandledrejection', (e) => window.__problems.push(`unhandled rejection: ${e.reason}`));
    });
  }

  /** Everything recorded so far: by the browser's own events, and by the page's listeners. */
  async allProblems() {
    const inPage = await this.evaluate(() => window.__problems ?? []);
    return [...this.problems, ...inPage];
  }

  /**
   * The axe-core audit of the page as it is now: the WCAG 2.0/2.1 A and AA rules' violations, as
   * `rule (impact): selectors`. axe is injected the first time, as the driver's own script (not
   * the page's: the CSP would rightly refuse it).
   */
  async axe() {
    if (!(await this.evaluate(() => typeof window.axe === 'object'))) await this.injectScript(axeSource());
    return this.evaluate(wcagViolationsInPage);
  }

  /** Files the browser has finished downloading (no partial files). */
  downloads() {
    return readdirSync(this.downloadDir).filter((f) => !/\.(part|download)$/.test(f) && !f.startsWith('.'));
  }

  async close() {
    rmSync(this.downloadDir, { recursive: true, force: true });
  }
}

class FirefoxDriver extends Driver {
  static async launch({ proxyPort, viewport }) {
    const d = new FirefoxDriver('firefox');
    const { default: puppeteer } = await import('puppeteer-core');
    d.browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      // A busy 2-core CI machine: a launch has taken 21 s here.
      timeout: 120_000,
      protocolTimeout: 180_000,
      // Without it Firefox keeps calling Mozilla's remote settings server whatever the prefs say.
      env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
      extraPrefsFirefox: {
        'network.proxy.type': 1,
        'network.proxy.http': '127.0.0.1',
        'network.proxy.http_port': proxyPort,
        'network.proxy.ssl': '127.0.0.1',
        'network.proxy.ssl_port': proxyPort,
        'network.proxy.no_proxies_on': '',
        'network.proxy.allow_hijacking_localhost': true,
        'browser.download.folderList': 2,
        'browser.download.dir': d.downloadDir,
        'browser.download.useDownloadDir': true,
        'browser.download.always_ask_before_handling_new_types': false,
        'browser.helperApps.neverAsk.saveToDisk': 'text/csv',
        'intl.accept_languages': 'en-US, en',
        // Headless, the window never has the system's focus, so :focus and :focus-visible never
        // match; Mozilla's own test harnesses set this to behave as a focused window.
        'focusmanager.testmode': true,
      },
    });
    d.page = (await d.browser.pages())[0] ?? await d.browser.newPage();
    d.page.setDefaultTimeout(120_000);
    d.page.setDefaultNavigationTimeout(120_000);
    await d.page.setViewport(viewport);
    d.page.on('console', (m) => { if (m.type() === 'error') d.problems.push(`console error: ${m.text()}`); });
    d.page.on('pageerror', (e) => d.problems.push(`page error: ${e.message}`));
    // Before any page script runs: the listener sees violations during the load too.
    await d.page.evaluateOnNewDocument(() => {
      if (window.__problems) return;
      window.__problems = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__problems.push(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`));
    });
    d.version = await d.browser.version();
    return d;
  }

  async injectScript(source) { await this.page.evaluate(source); }
  async goto(url) { await this.page.goto(url, { waitUntil: 'load' }); }
  async resize(width, height) { await this.page.setViewport({ width, height }); }
  async reload() { await this.page.reload({ waitUntil: 'load' }); }
  async evaluate(fn, ...args) { return this.page.evaluate(fn, ...args); }
  async type(selector, text) {
    await this.page.$eval(selector, (el) => { el.value = ''; });
    await this.page.type(selector, text);
  }
  async choose(selector, value) { await this.page.select(selector, value); }
  async tab() { await this.page.keyboard.press('Tab'); }
  /** Presses a key ('Tab', 'Enter', 'ArrowDown', …) on whatever has the focus. */
  async press(key) {
    if (key === 'Shift+Tab') {
      await this.page.keyboard.down('Shift');
      await this.page.keyboard.press('Tab');
      await this.page.keyboard.up('Shift');
    } else {
      await this.page.keyboard.press(key);
    }
  }
  /** Types text into whatever has the focus. */
  async keys(text) { await this.page.keyboard.type(text); }
  async click(selector) { await this.page.click(selector); }
  async setFile(selector, file) { await (await this.page.$(selector)).uploadFile(file); }
  async screenshot(name) {
    await this.page.screenshot({ path: path.join(SCREENSHOT_DIR, `firefox-${name}.png`), fullPage: true });
  }
  async close() {
    await this.browser?.close();
    await super.close();
  }
}

/** WebKitWebDriver with `home` as HOME (and Xvfb, when `cargo xtask` has not started one). */
async function startWebKitWebDriver(home) {
  const procs = [];
  let display = process.env.DISPLAY;
  if (!display) {
    const n = 90 + Math.floor(Math.random() * 9);
    display = `:${n}`;
    procs.push(spawn('Xvfb', [display, '-screen', '0', '1280x2000x24', '-nolisten', 'tcp'], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 500));
  }
  const port = await freePort();
  procs.push(spawn('WebKitWebDriver', [`--port=${port}`], {
    stdio: 'ignore', env: { ...process.env, DISPLAY: display, HOME: home },
  }));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/status`, 60_000);
  return { url, stop: () => procs.reverse().forEach((p) => p.kill()) };
}

class WebKitDriver extends Driver {
  static async launch({ proxyPort, viewport }) {
    const d = new WebKitDriver('webkit');
    const { Builder } = await import('selenium-webdriver');
    d.service = await startWebKitWebDriver(d.downloadDir);
    const { url } = d.service;
    const caps = {
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': {
        binary: MINIBROWSER,
        args: ['--automation', `--proxy=http://127.0.0.1:${proxyPort}`],
      },
    };
    d.driver = await new Builder().usingServer(url).withCapabilities(caps).build();
    await d.driver.manage().setTimeouts({ script: 180_000, pageLoad: 120_000 });
    await d.driver.manage().window().setRect({ width: viewport.width, height: viewport.height });
    d.version = (await d.driver.getCapabilities()).get('browserVersion');
    return d;
  }

  async goto(url) {
    await this.driver.get(url);
    await this.watchProblems();
  }

  async reload() {
    await this.driver.navigate().refresh();
    await this.watchProblems();
  }

  async evaluate(fn, ...args) {
    const r = await this.driver.executeAsyncScript(asyncScript(fn), ...args);
    if (r && 'error' in r) throw new Error(`${this.name}: ${r.error}`);
    return r?.ok;
  }

  async injectScript(source) { await this.driver.executeScript(`${source}\n;return true;`); }

  /** The element `selector` names; `host >>> inner` looks inside host's shadow root (as puppeteer's does). */
  async el(selector) {
    if (selector.includes('>>>')) {
      const found = await this.driver.executeScript(`let node = document;
for (const part of arguments[0]) node = (node.shadowRoot ?? node).querySelector(part);
return node;`, selector.split('>>>').map((p) => p.trim()));
      if (!found) throw new Error(`${this.name}: no element ${selector}`);
      return found;
    }
    const { By } = await import('selenium-webdriver');
    return this.driver.findElement(By.css(selector));
  }

  async type(selector, text) {
    const el = await this.el(selector);
    await el.clear();
    await el.sendKeys(text);
  }

  async choose(selector, value) {
    await (await this.el(`${selector} option[value="${value}"]`)).click();
  }

  async tab() {
    const { Key } = await import('selenium-webdriver');
    await this.driver.actions().sendKeys(Key.TAB).perform();
  }

  async press(key) {
    const { Key } = await import('selenium-webdriver');
    if (key === 'Shift+Tab') {
      await this.driver.actions().keyDown(Key.SHIFT).sendKeys(Key.TAB).keyUp(Key.SHIFT).perform();
      return;
    }
    const k = { Tab: Key.TAB, Enter: Key.ENTER, ArrowDown: Key.ARROW_DOWN, ArrowUp: Key.ARROW_UP, Space: Key.SPACE }[key];
    if (!k) throw new Error(`no WebDriver key for ${key}`);
    await this.driver.actions().sendKeys(k).perform();
  }

  async keys(text) { await this.driver.actions().sendKeys(text).perform(); }
  async resize(width, height) { await this.driver.manage().window().setRect({ width, height }); }
  async click(selector) { await (await this.el(selector)).click(); }
  async setFile(selector, file) { await (await this.el(selector)).sendKeys(file); }
  async screenshot(name) {
    writeFileSync(path.join(SCREENSHOT_DIR, `webkit-${name}.png`), await this.driver.takeScreenshot(), 'base64');
  }

  async close() {
    await this.driver?.quit().catch(() => {});
    this.service?.stop();
    await super.close();
  }
}

/** Whether `name`'s browser is installed here (`cargo xtask test` installs both). */
export function installed(name) {
  return name === 'firefox' ? existsSync(FIREFOX) : existsSync(MINIBROWSER);
}

/** Launches `name` ('firefox' or 'webkit') pointed at the proxy on `proxyPort`. */
export async function launchBrowser(name, { proxyPort, viewport = { width: 1280, height: 1600 } }) {
  if (name === 'firefox') return FirefoxDriver.launch({ proxyPort, viewport });
  if (name === 'webkit') return WebKitDriver.launch({ proxyPort, viewport });
  throw new Error(`unknown browser ${name}`);
}
