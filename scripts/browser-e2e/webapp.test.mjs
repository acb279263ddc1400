// The web app example in a real browser, with two (then three) browser
// contexts as separate devices, each with its own cookie jar: forms, flash
// messages, remember-me, the cart under parallel requests, the devices
// list, a password change, and a forged form refused.
//
// WEBAPP_URL (default http://localhost:3942) must serve examples/webapp;
// CHROMIUM (default /usr/bin/chromium) is the browser to drive.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

const base = process.env.WEBAPP_URL ?? 'http://localhost:3942';
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

let browser;
const devices = {};

/** A device: a context of its own (a cookie jar), named in its user agent. */
async function device(name) {
  const context = await browser.newContext({ userAgent: `Mozilla/5.0 (sesh e2e; ${name}) Chromium` });
  const page = await context.newPage();
  devices[name] = { context, page };
  return devices[name];
}

before(async () => {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
});

/** Prints a scenario's outcome beside the test runner's own line. */
function said(scenario, outcome) {
  console.log(`webapp e2e: ${scenario}: ${outcome}`);
}

/** The session cookie in the device's own jar. */
async function sessionCookie({ context }) {
  return (await context.cookies(base)).find((c) => c.name === 'session');
}

/** Fills in and submits the login form, as a person would. */
async function signIn({ page }, user, password, { remember = false } = {}) {
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  if (remember) await page.check('input[name=remember]');
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign in")')]);
}

const flashes = (page) => page.locator('.flash').allInnerTexts();

test('the web app on two devices', async (t) => {
  const laptop = await device('laptop');
  const phone = await device('phone');

  await t.test('a wrong password goes back to the form with a flash', async () => {
    await signIn(laptop, 'alice', 'not-the-password');
    assert.equal(new URL(laptop.page.url()).pathname, '/login');
    assert.deepEqual(await flashes(laptop.page), ['Wrong user name or password']);
    assert.match(await laptop.page.innerText('nav'), /Sign in/);
    said('wrong password', `back on ${new URL(laptop.page.url()).pathname} with "Wrong user name or password"`);
  });

  await t.test('the right password signs in and says welcome', async () => {
    await signIn(laptop, 'alice', 'wonderland');
    assert.equal(laptop.page.url(), `${base}/`);
    assert.equal(await laptop.page.innerText('#who'), 'Signed in as alice');
    assert.deepEqual(await flashes(laptop.page), ['Welcome, alice']);
    said('right password', 'on / as "Signed in as alice" with "Welcome, alice"');
  });

  await t.test('the flash is shown once', async () => {
    await laptop.page.reload();
    assert.deepEqual(await flashes(laptop.page), []);
    assert.equal(await laptop.page.innerText('#who'), 'Signed in as alice');
    said('flash once', 'gone after a reload, still signed in');
  });

  await t.test('remember-me: a persistent cookie, else a browser-session one', async () => {
    const plain = await sessionCookie(laptop);
    assert.equal(plain.expires, -1, 'without remember-me the cookie ends with the browser');
    await signIn(phone, 'alice', 'wonderland', { remember: true });
    assert.equal(await phone.page.innerText('#who'), 'Signed in as alice');
    const kept = await sessionCookie(phone);
    const days = (kept.expires - Date.now() / 1000) / 86400;
    assert.ok(days > 13 && days <= 14, `a persistent cookie for 14 days, got ${days}`);
    for (const cookie of [plain, kept]) {
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.secure, true);
      assert.equal(cookie.sameSite, 'Lax');
    }
    said('remember-me', `laptop: session cookie (expires ${plain.expires}); phone: expires in ${days.toFixed(2)} days`);
  });

  await t.test('20 parallel adds from the page count 20', async () => {
    await laptop.page.goto(`${base}/cart`);
    const statuses = await laptop.page.evaluate(async () => {
      const token = document.querySelector('meta[name="csrf-token"]').content;
      const add = () =>
        fetch('/cart/add', {
          method: 'POST',
          headers: { 'x-csrf-token': token, accept: 'application/json' },
          body: new URLSearchParams({ item: 'teapot' }),
        }).then((r) => r.status);
      return Promise.all(Array.from({ length: 20 }, add));
    });
    assert.deepEqual(statuses, Array(20).fill(200));
    await laptop.page.reload();
    const row = laptop.page.locator('#cart tr', { has: laptop.page.locator('td.item', { hasText: 'teapot' }) });
    assert.equal(await row.locator('td.count').innerText(), '20');
    said('cart', `20 parallel fetches answered ${[...new Set(statuses)].join(',')}; the cart shows teapot × 20`);
  });

  await t.test('the devices list marks this one; revoke ends another', async () => {
    const tablet = await device('tablet');
    await signIn(tablet, 'alice', 'wonderland');
    await laptop.page.goto(`${base}/devices`);
    const rows = laptop.page.locator('#devices tr.device');
    assert.equal(await rows.count(), 3);
    const current = laptop.page.locator('#devices tr.current');
    assert.equal(await current.count(), 1);
    assert.match(await current.locator('td.agent').innerText(), /laptop/);
    assert.match(await current.innerText(), /this device/);
    const tabletRow = rows.filter({ hasText: 'tablet' });
    await Promise.all([laptop.page.waitForNavigation(), tabletRow.locator('button').click()]);
    assert.deepEqual(await flashes(laptop.page), ['That device is signed out.']);
    assert.equal(await laptop.page.locator('#devices tr.device').count(), 2);
    await tablet.page.goto(`${base}/devices`);
    assert.equal(tablet.page.url(), `${base}/login?next=%2Fdevices`);
    said('devices', '3 listed, the laptop marked "this device"; the tablet revoked and sent to /login?next=%2Fdevices');
  });

  await t.test('a password change signs out the other device, not this one', async () => {
    const before = (await sessionCookie(laptop)).value;
    await laptop.page.goto(`${base}/password`);
    await laptop.page.fill('input[name=current]', 'wonderland');
    await laptop.page.fill('input[name=new]', 'looking-glass');
    await Promise.all([laptop.page.waitForNavigation(), laptop.page.click('button:has-text("Change password")')]);
    assert.equal(laptop.page.url(), `${base}/devices`);
    assert.deepEqual(await flashes(laptop.page), ['Password changed. 1 other session was signed out.']);
    assert.notEqual((await sessionCookie(laptop)).value, before, 'this session goes on under a new ID');
    await phone.page.goto(`${base}/devices`);
    assert.equal(phone.page.url(), `${base}/login?next=%2Fdevices`);
    await phone.page.goto(`${base}/`);
    assert.match(await phone.page.innerText('#who'), /not signed in/);
    await signIn(phone, 'alice', 'looking-glass');
    assert.equal(await phone.page.innerText('#who'), 'Signed in as alice');
    said('password change', 'phone sent to /login?next=%2Fdevices; laptop kept under a new ID; the new password works');
  });

  await t.test('a form posted with a wrong CSRF token is refused with 403', async () => {
    await laptop.page.goto(`${base}/cart`);
    const [response] = await Promise.all([
      laptop.page.waitForNavigation(),
      laptop.page.evaluate(() => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/cart/add';
        form.innerHTML = '<input name="csrf_token" value="forged"><input name="item" value="teapot">';
        document.body.append(form);
        form.submit();
      }),
    ]);
    assert.equal(response.status(), 403);
    assert.match(await laptop.page.innerText('body'), /CSRF token/);
    await laptop.page.goto(`${base}/cart`);
    const row = laptop.page.locator('#cart tr', { has: laptop.page.locator('td.item', { hasText: 'teapot' }) });
    assert.equal(await row.locator('td.count').innerText(), '20', 'the forged add changed nothing');
    said('CSRF', `a forged form answered ${response.status()}; the cart still shows 20`);
  });

  await t.test('signing out', async () => {
    await Promise.all([laptop.page.waitForNavigation(), laptop.page.click('button:has-text("Sign out")')]);
    assert.match(await laptop.page.innerText('#who'), /not signed in/);
    assert.deepEqual(await flashes(laptop.page), ['You are signed out.']);
    said('sign out', 'back to a visitor with "You are signed out."');
  });

  for (const { context } of Object.values(devices)) await context.close();
});
