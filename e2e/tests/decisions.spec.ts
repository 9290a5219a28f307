// Where decisions end up: the enterprise's audit log (and its organizations'),
// a request's own page when a decision came too late, and a cancelled
// request's page reached from the owner's notification.
import { expect, Page, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  ENT,
  APPROVAL,
  auditLogPath,
  confirmAction,
  createFineGrainedToken,
  REPO_ACCESS,
  entPatPath,
  expectNoAxeViolations,
  orgSettingsNav,
  queuePath,
  radio,
  readAuditTable,
  saveAndExpectSaved,
  signedInPages,
  signIn,
  screenshotsAt,
} from '../helpers';

const srv = useFreshServer();
const signedInPage = signedInPages(srv);
test.describe.configure({ mode: 'serial' });

const shots = (page: Page, name: string) => screenshotsAt(page, 'decisions-' + name);

test('a decision another owner made first is shown on the request page, 409', async ({ page, browser }) => {
  await signIn(page, 'octo-owner');
  await page.goto(queuePath('octo-org'));
  await page.getByRole('link', { name: 'ci-reader', exact: true }).click();
  const other = await signedInPage(browser, 'octo-owner');
  await other.goto(page.url());
  await other.getByRole('button', { name: 'Approve', exact: true }).click();

  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Approve', exact: true }).click(),
  ]);
  expect(res.status()).toBe(409);
  await expect(page.getByRole('heading', { name: 'ci-reader', exact: true, level: 1 })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('already approved by octo-owner');
  await expect(page.getByRole('main')).toContainText(/Approved on .* by octo-owner/);
  await expect(orgSettingsNav(page)).toBeVisible();
  await expectNoAxeViolations(page, 'decision refused on the request page');
  await shots(page, 'conflict');
});

test("the owner's notification about a cancelled request leads to a page saying so", async ({ page, browser }) => {
  const mona = await signedInPage(browser, 'mona');
  await createFineGrainedToken(mona, {
    name: 'late-bot', owner: 'octo-org', justification: 'For a while', selection: REPO_ACCESS.all, permissions: { Issues: 'Read-only' },
  });
  await mona.getByRole('button', { name: 'Cancel request', exact: true }).click();
  await confirmAction(mona, 'Cancel request');

  await signIn(page, 'octo-owner');
  await page.goto('/notifications');
  await page.getByRole('link', { name: /late-bot/ }).first().click();
  await expect(page.getByRole('heading', { name: 'late-bot', exact: true, level: 1 })).toBeVisible();
  await expect(page.getByRole('main')).toContainText(/cancelled by its requester, mona, on /);
  await expectNoAxeViolations(page, 'cancelled request');
  await shots(page, 'cancelled');
});

test('the enterprise audit log lists its changes, and its organizations show them too', async ({ page, browser }) => {
  await signIn(page, 'ent-admin');
  await page.goto(entPatPath('octo-ent'));
  await radio(page, APPROVAL.legend, ENT.approvalRequire).check();
  await saveAndExpectSaved(page);
  const nav = page.getByRole('navigation', { name: 'Enterprise settings', exact: true });
  await nav.getByRole('link', { name: 'Audit log', exact: true }).click();
  await expect(page).toHaveURL(/\/enterprises\/octo-ent\/settings\/audit-log$/);
  await expect(nav.getByRole('link', { name: 'Audit log', exact: true })).toHaveAttribute('aria-current', 'page');
  const rows = await readAuditTable(page);
  expect(rows[0]).toMatchObject({ action: 'auto_approve_personal_access_token_requests.disable', actor: 'ent-admin' });
  await page.getByRole('combobox', { name: 'Action', exact: true }).selectOption('personal_access_token.access_restriction_enabled');
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await expect(page.getByRole('main')).toContainText('No events match.');
  await page.goto('/enterprises/octo-ent/settings/audit-log');
  await expectNoAxeViolations(page, 'enterprise audit log');
  await shots(page, 'enterprise-audit-log');

  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(auditLogPath('octo-org'));
  const orgRows = await readAuditTable(owner);
  expect(orgRows[0]).toMatchObject({ action: 'auto_approve_personal_access_token_requests.disable', actor: 'ent-admin' });
  expect(orgRows[0].details).toContain('Octo Enterprise');
});

test.describe('without script', () => {
  test.use({ javaScriptEnabled: false });
  test('the enterprise audit log filters with a plain form', async ({ page }) => {
    await signIn(page, 'ent-admin');
    await page.goto('/enterprises/octo-ent/settings/audit-log');
    await page.getByRole('combobox', { name: 'Action', exact: true }).selectOption('auto_approve_personal_access_token_requests.disable');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    expect(new URL(page.url()).searchParams.get('action')).toBe('auto_approve_personal_access_token_requests.disable');
    expect((await readAuditTable(page)).length).toBe(1);
  });
});
