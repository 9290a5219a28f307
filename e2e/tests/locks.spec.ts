// Locked settings: a crafted submission changing a locked setting (422) and a submission built on
// an out-of-date form (409) are refused and change nothing.
import { expect, Page, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  APPROVAL,
  CLASSIC,
  FG,
  auditLog,
  patSettingsPath,
  radio,
  saveAndExpectSaved,
  saveButton,
  signIn,
  clickSave,
} from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });

async function submitAndGetStatus(page: Page, org: string): Promise<number> {
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === patSettingsPath(org)),
    clickSave(page),
  ]);
  await page.waitForLoadState();
  return resp.status();
}

test('a crafted POST changing the enterprise-locked classic setting is refused with 422', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));
  await expect(radio(page, CLASSIC.legend, CLASSIC.allow)).toBeDisabled();
  // Other choices the user makes in the same submission.
  await radio(page, FG.legend, FG.restrict).check();
  await radio(page, APPROVAL.legend, APPROVAL.noRequire).check();
  // Craft: enable the locked radios and pick "Allow".
  await page.evaluate(() => {
    document.querySelectorAll('input[type=radio]').forEach((e) => { (e as HTMLInputElement).disabled = false; });
  });
  await radio(page, CLASSIC.legend, CLASSIC.allow).check();

  expect(await submitAndGetStatus(page, 'octo-org')).toBe(422);
  await expect(page.getByRole('status').filter({ hasText: 'saved' })).toHaveCount(0);
  await expect(page.getByRole('alert')).toContainText(/classic/i);
  // The user's other choices are kept in the re-rendered form; the lock is shown again.
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();
  await expect(radio(page, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, CLASSIC.allow)).toBeDisabled();

  // Nothing changed.
  await page.goto(patSettingsPath('octo-org'));
  await expect(radio(page, FG.legend, FG.allow)).toBeChecked();
  await expect(radio(page, APPROVAL.legend, APPROVAL.require)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeChecked();
  const actions = (await auditLog(page, 'octo-org')).map((r) => r.action);
  expect(actions).not.toContain('personal_access_token.access_restriction_enabled');
  expect(actions).not.toContain('auto_approve_personal_access_token_requests.enable');
});

test('a submission built on an out-of-date form is refused with 409', async ({ browser }) => {
  const ctxA = await browser.newContext({ baseURL: srv.baseURL });
  const ctxB = await browser.newContext({ baseURL: srv.baseURL });
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  await signIn(a, 'octo-owner');
  await signIn(b, 'octo-owner');
  await a.goto(patSettingsPath('octo-org'));
  await b.goto(patSettingsPath('octo-org'));

  await radio(a, FG.legend, FG.restrict).check();
  await saveAndExpectSaved(a);

  await radio(b, APPROVAL.legend, APPROVAL.noRequire).check();
  expect(await submitAndGetStatus(b, 'octo-org')).toBe(409);
  await expect(b.getByRole('status').filter({ hasText: 'saved' })).toHaveCount(0);
  await expect(b.getByRole('alert')).toBeVisible();

  // B's attempt changed nothing; A's save stands.
  await a.goto(patSettingsPath('octo-org'));
  await expect(radio(a, FG.legend, FG.restrict)).toBeChecked();
  await expect(radio(a, APPROVAL.legend, APPROVAL.require)).toBeChecked();
  // The 409 form is A's settings with only B's change on top, and lists
  // only that change; saving it keeps A's restriction.
  await expect(radio(b, FG.legend, FG.restrict)).toBeChecked();
  await expect(radio(b, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await expect(b.getByRole('alert').getByRole('row')).toHaveCount(2);
  await saveAndExpectSaved(b);
  await expect(radio(b, FG.legend, FG.restrict)).toBeChecked();
  await expect(radio(b, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await ctxA.close();
  await ctxB.close();
});
