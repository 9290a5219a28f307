// Layout and list screens: no page wider than a phone, long text kept short in
// list rows, the whole new token in view with a Copy button, Select all, the
// Filter button beside its comboboxes, the dark palette, and the landing and
// sign-out pages. The tests build on each other, in order, on this file's server.
import { expect, Page, test } from '@playwright/test';
import * as path from 'node:path';
import { useFreshServer } from '../server';
import {
  APPROVAL, CLASSIC, FG, confirmAction, enrollWith, radio,
  activeTokensPath, auditLogPath, createFineGrainedToken, createFineGrainedTokensQuickly, devTokensPath, classicTokensPath,
  entPatPath, expectNoAxeViolations, flash, grantRow, onboardingPath, openUserMenu, orgProfilePath, patSettingsPath,
  queuePath, REPO_ACCESS, signedInPages, signIn,
  screenshotsAt,
} from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });
const signedInPage = signedInPages(srv);

const ORG = 'octo-org';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
// Token names may be 40 characters long; justifications 1,024, with words a
// line cannot break.
const LONG_NAME = 'a-very-long-token-name-for-narrow-screen';
const LONG_NAME_OWNER = 'owner-token-with-a-long-name-for-phones1';
const LONG_JUSTIFICATION = (
  'Deploys the API to every region each night and reads the logs afterwards. ' +
  'https://octo.example/very/long/address/without/any/space/that/a/browser/cannot/break/at/all/' + 'x'.repeat(120) + ' ' +
  'More words follow to fill the box. '.repeat(40)
).slice(0, 1024);

const shots = (page: Page, name: string) => screenshotsAt(page, 'screens/' + name);

/** How far the page reaches past a 390 px viewport, for each path; empty when none does. */
async function overflowing(page: Page, paths: string[]): Promise<string[]> {
  await page.setViewportSize(PHONE);
  const out: string[] = [];
  for (const p of paths) {
    const res = await page.goto(p);
    expect(res?.status(), `${p} answers`).toBeLessThan(400);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > PHONE.width) out.push(`${p}: ${width} px wide`);
  }
  await page.setViewportSize(DESKTOP);
  return out;
}

let requestPath = '';
let ownerTokenPath = '';
let monaTokenPath = '';

test('long names and justifications: every signed-in page fits a 390 px screen', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'mona');
  [monaTokenPath] = await createFineGrainedTokensQuickly(page, [
    { name: LONG_NAME, owner: ORG, justification: LONG_JUSTIFICATION, selection: REPO_ACCESS.all, permissions: { Contents: 'Read-only', Members: 'Read-only' } },
  ]);
  const owner = await signedInPage(browser, 'octo-owner');
  [ownerTokenPath] = await createFineGrainedTokensQuickly(owner, [
    { name: LONG_NAME_OWNER, owner: ORG, justification: LONG_JUSTIFICATION, selection: REPO_ACCESS.all, permissions: { Contents: 'Read and write' } },
  ]);
  await owner.goto(queuePath(ORG));
  requestPath = new URL(await grantRow(owner, LONG_NAME).getByRole('link', { name: LONG_NAME, exact: true }).getAttribute('href') ?? '', srv.baseURL).pathname;
  await owner.goto(activeTokensPath(ORG));
  const activePath = new URL(await grantRow(owner, LONG_NAME_OWNER).getByRole('link', { name: LONG_NAME_OWNER, exact: true }).getAttribute('href') ?? '', srv.baseURL).pathname;

  const mine = ['/settings/organizations', devTokensPath, `${devTokensPath}/new`, classicTokensPath, `${classicTokensPath}/new`, '/notifications'];
  const problems = [
    ...await overflowing(owner, [
      ...mine, ownerTokenPath, orgProfilePath(ORG), patSettingsPath(ORG), onboardingPath('solo-org'), queuePath(ORG),
      `${queuePath(ORG)}?owner=mona`, requestPath, `${requestPath}/deny`, activeTokensPath(ORG), activePath, auditLogPath(ORG),
    ]),
    ...await overflowing(page, [...mine, monaTokenPath]),
    ...await overflowing(await signedInPage(browser, 'ent-admin'), ['/settings/enterprises', entPatPath('octo-ent'), '/enterprises/octo-ent/settings/audit-log', ...mine]),
  ];
  expect(problems, 'pages wider than the 390 px viewport').toEqual([]);
});

test('a long justification keeps its queue row short; the request page shows all of it', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.setViewportSize(DESKTOP);
  await page.goto(queuePath(ORG));
  const row = grantRow(page, LONG_NAME);
  const box = await row.boundingBox();
  expect(box?.height ?? 0, 'row height (px) of a request with a 1,024-character justification').toBeLessThan(160);
  await row.getByRole('link', { name: `Read more about ${LONG_NAME}`, exact: true }).click();
  await expect(page.getByRole('heading', { name: LONG_NAME, exact: true, level: 1 })).toBeVisible();
  await expect(page.getByRole('main')).toContainText(LONG_JUSTIFICATION.slice(-200).trim());
  await shots(page, 'request-detail');
  await page.goto(queuePath(ORG));
  await shots(page, 'queue');
  await page.goto(`${queuePath(ORG)}?owner=octo-owner`);
  await expect(page.getByText('No pending requests match these filters', { exact: true })).toBeVisible();
  await shots(page, 'queue-filtered-empty');
  await page.goto(activeTokensPath(ORG));
  await shots(page, 'active');
  await page.goto(auditLogPath(ORG));
  await shots(page, 'audit-log');
});

test('the Filter button never sits alone on its line', async ({ page }) => {
  await signIn(page, 'octo-owner');
  for (const [list, combobox] of [[queuePath(ORG), 'Permission'], [activeTokensPath(ORG), 'Permission'], [auditLogPath(ORG), 'Action']]) {
    await page.goto(list);
    const button = page.getByRole('button', { name: 'Filter', exact: true });
    const last = page.getByRole('combobox', { name: combobox, exact: true });
    const alone: number[] = [];
    for (let width = 360; width <= 1280; width += 20) {
      await page.setViewportSize({ width, height: 800 });
      const [b, c] = [await button.boundingBox(), await last.boundingBox()];
      if (!b || !c || b.y >= c.y + c.height || b.y + b.height <= c.y) alone.push(width);
    }
    expect(alone, `${list}: widths (px) where "Filter" wraps below the ${combobox} combobox`).toEqual([]);
  }
  await page.setViewportSize(DESKTOP);
});

test('the new token is all in view at any width, and Copy copies it', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.baseURL });
  await signIn(page, 'mona');
  const { secret } = await createFineGrainedToken(page, { name: 'copy-me', owner: ORG, justification: 'Copy test', permissions: { Contents: 'Read-only' } });
  const box = page.getByRole('textbox', { name: 'New token', exact: true });
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    const fits = await box.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight);
    expect(fits, `the whole token shows at ${size.width} px`).toBe(true);
    await page.screenshot({ path: path.join(__dirname, '..', '.tmp', 'shots', 'screens', `new-token-${size.width}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(page.getByText('Copied to the clipboard.', { exact: true })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
});

test('Select all ticks every row, and a row unticked unticks it', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(queuePath(ORG));
  const all = page.getByRole('checkbox', { name: 'Select all', exact: true });
  const rows = page.getByRole('table').getByRole('checkbox', { name: /^Select (?!all$)/ });
  expect(await rows.count()).toBeGreaterThanOrEqual(2);
  await all.check();
  for (const r of await rows.all()) await expect(r).toBeChecked();
  await rows.first().uncheck();
  await expect(all).not.toBeChecked();
  await all.check();
  await page.getByRole('textbox', { name: 'Reason', exact: true }).fill('Tidying up');
  const n = await rows.count();
  await page.getByRole('button', { name: 'Deny selected', exact: true }).click();
  await confirmAction(page, 'Deny selected requests');
  await expect(flash(page)).toHaveText(`Denied ${n} requests.`);
  await expect(page.getByText('No pending requests', { exact: true })).toBeVisible();
});

test('dark mode: the palette turns dark and axe finds no contrast problem', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/login');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(bg, 'page background in dark mode').not.toBe('rgb(255, 255, 255)');
  await expectNoAxeViolations(page, 'login (dark)');
  await signIn(page, 'octo-owner', { goto: false });
  for (const p of [patSettingsPath(ORG), activeTokensPath(ORG), `${queuePath(ORG)}?owner=mona`, ownerTokenPath]) {
    await page.goto(p);
    await expectNoAxeViolations(page, `${p} (dark)`);
  }
  await page.goto(activeTokensPath(ORG));
  await shots(page, 'active-dark');
  await page.goto(patSettingsPath(ORG));
  await shots(page, 'pat-settings-dark');
  await openUserMenu(page);
  await expectNoAxeViolations(page, 'user menu (dark)');
});

test('an owner of an enterprise only lands on Your enterprises; signing out says so', async ({ page }) => {
  await signIn(page, 'ent-admin');
  await expect(page).toHaveURL(/\/settings\/enterprises$/);
  await expect(page.getByRole('link', { name: 'Octo Enterprise', exact: true })).toBeVisible();
  await shots(page, 'enterprise-landing');
  await openUserMenu(page);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText('You have signed out.');
  await shots(page, 'signed-out');
  const icon = await page.locator('head link[rel="icon"]').getAttribute('href');
  expect((await page.request.get(icon ?? '/missing')).status()).toBe(200);
});

test('enrolling with Restrict says Restrict; the same owner\'s other tab gets a 409 that blames no one', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(onboardingPath('solo-org'));
  await enrollWith(page, FG.restrict, APPROVAL.require, CLASSIC.restrict);
  await expect(flash(page)).toContainText(FG.restrict);
  await expect(flash(page)).not.toContainText('enabled');
  await shots(page, 'enrolled-flash');

  // A second tab of the same session.
  const other = await page.context().newPage();
  await other.goto(patSettingsPath('solo-org'));
  await page.goto(patSettingsPath('solo-org'));
  await radio(page, FG.legend, FG.allow).check();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await radio(other, APPROVAL.legend, APPROVAL.noRequire).check();
  await other.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(other.getByRole('alert')).toContainText('These settings were changed since you opened this page.');
  await expect(other.getByRole('alert')).not.toContainText('Another owner');
  await shots(other, 'conflict');
  await other.close();
});
