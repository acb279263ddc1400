// The login example in a real browser: Chromium keeps the session cookie in
// its own jar, shares it between tabs, and drops it on logout.
//
// BASE_URL (default http://localhost:3931) must serve examples/login.rs;
// CHROMIUM (default /usr/bin/chromium) is the browser to drive.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

const base = process.env.BASE_URL ?? 'http://localhost:3931';
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

let profile;
let context;

before(async () => {
  profile = await mkdtemp(join(tmpdir(), 'sesh-chromium-'));
  // A persistent context on a fresh profile: one browser, one cookie jar.
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await context?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** The browser's own record of the session cookie, if it holds one. */
async function sessionCookie() {
  const cookies = await context.cookies(base);
  return cookies.find((c) => c.name === 'session');
}

/** Navigates `page` to /me; returns [status, body text]. */
async function me(page) {
  const res = await page.goto(`${base}/me`);
  return [res.status(), (await page.innerText('body')).trim()];
}

test('login, reload, a second tab, logout', async (t) => {
  const tab1 = context.pages()[0] ?? (await context.newPage());

  await t.test('a fresh browser is not logged in and holds no cookie', async () => {
    assert.deepEqual(await me(tab1), [401, 'not logged in']);
    assert.equal(await sessionCookie(), undefined);
  });

  await t.test('a form POST to /login logs in and the browser keeps the cookie', async () => {
    // The example serves no HTML: build the form in the page and submit
    // it, so the navigation and its Set-Cookie are the browser's own.
    await Promise.all([
      tab1.waitForURL(`${base}/login`),
      tab1.evaluate(() => {
        document.body.innerHTML =
          '<form method="post" action="/login"><input name="user" value="ada"></form>';
        document.forms[0].submit();
      }),
    ]);
    assert.equal((await tab1.innerText('body')).trim(), 'logged in as ada');
    assert.ok(await sessionCookie(), 'no session cookie after login');
  });

  await t.test('the cookie has the attributes the layer promises', async () => {
    const cookie = await sessionCookie();
    assert.equal(cookie.httpOnly, true, 'HttpOnly');
    assert.equal(cookie.secure, true, 'Secure');
    assert.equal(cookie.sameSite, 'Lax', 'SameSite');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.expires, -1, 'a browser-session cookie has no expiry');
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
    // HttpOnly means scripts in the page cannot read it.
    assert.equal(await tab1.evaluate(() => document.cookie), '');
  });

  await t.test('/me sees the user, and still does after a reload', async () => {
    assert.deepEqual(await me(tab1), [200, 'ada']);
    const res = await tab1.reload();
    assert.equal(res.status(), 200);
    assert.equal((await tab1.innerText('body')).trim(), 'ada');
  });

  const tab2 = await context.newPage();

  await t.test('a second tab shares the session', async () => {
    assert.deepEqual(await me(tab2), [200, 'ada']);
  });

  await t.test('logout from the second tab ends the session in both tabs', async () => {
    const said = await tab2.evaluate(async () => {
      const res = await fetch('/logout', { method: 'POST' });
      return `${res.status} ${await res.text()}`;
    });
    assert.equal(said, '200 logged out');
    assert.equal(await sessionCookie(), undefined, 'the browser still holds the cookie');
    assert.deepEqual(await me(tab2), [401, 'not logged in']);
    const res = await tab1.reload();
    assert.equal(res.status(), 401);
    assert.equal((await tab1.innerText('body')).trim(), 'not logged in');
  });
});
