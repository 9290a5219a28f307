// Everything an owner needs works with JavaScript disabled.
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  APPROVAL,
  CLASSIC,
  FG,
  goToPatSettingsLikeTheDoc,
  onboardingPath,
  openUserMenu,
  patSettingsPath,
  radio,
  saveAndExpectSaved,
  signIn,
  REPO_ACCESS,
  activeTokensPath,
  classicTokensPath,
  devTokensPath,
  expectTokenStatus,
  expectUnread,
  fillFineGrainedForm,
  filterGrants,
  flash,
  grantNames,
  group,
  queuePath,
  readNotifications,
  statusOf,
  confirmAction,
} from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });
test.use({ javaScriptEnabled: false });

test('sign in, open the user menu, save a PAT setting (no JS)', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await goToPatSettingsLikeTheDoc(page, 'octo-org'); // opens the user menu without JS
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('octo-org')}$`));
  await radio(page, FG.legend, FG.restrict).check();
  await saveAndExpectSaved(page);
  await page.goto(patSettingsPath('octo-org'));
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();
});

test('complete onboarding of solo-org (no JS)', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('solo-org'));
  await expect(page).toHaveURL(new RegExp(`${onboardingPath('solo-org')}$`));
  await radio(page, FG.legend, FG.allow).check();
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await radio(page, APPROVAL.legend, APPROVAL.noRequire).check();
  await page.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(radio(page, FG.legend, FG.allow)).toBeChecked();
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(radio(page, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await radio(page, CLASSIC.legend, CLASSIC.restrict).check();
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await page.getByRole('button', { name: 'Enroll', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('solo-org')}$`));
  await expect(page.getByRole('status')).toBeVisible();
  await expect(radio(page, FG.legend, FG.allow)).toBeChecked();
  await expect(radio(page, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeChecked();
});

test('sign out from the user menu (no JS)', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await openUserMenu(page);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.goto('/settings/organizations');
  await expect(page).toHaveURL(/\/login\?return_to=/);
});

test('request a token, have it approved, denied and revoked, read the notifications (no JS)', async ({ page, browser }) => {
  test.slow();
  // octo-org as the demo has it (the first test of this file restricted fine-grained tokens).
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));
  await radio(page, FG.legend, FG.allow).check();
  await radio(page, APPROVAL.legend, APPROVAL.require).check();
  await saveAndExpectSaved(page);

  const ctx = await browser.newContext({ baseURL: srv.baseURL, javaScriptEnabled: false });
  const mona = await ctx.newPage();
  await signIn(mona, 'mona');
  await openUserMenu(mona);
  await mona.getByRole('link', { name: 'Developer settings', exact: true }).click();
  await mona.getByRole('link', { name: 'Generate new token', exact: true }).click();
  // Without JS every owner's repositories show; octo-org's are there.
  for (const r of ['octo-web', 'octo-api', 'octo-infra']) {
    await expect(group(mona, REPO_ACCESS.legend).getByRole('checkbox', { name: r, exact: true })).toBeVisible();
  }
  await fillFineGrainedForm(mona, {
    name: 'nojs-bot', owner: 'octo-org', selection: REPO_ACCESS.selected, repos: ['octo-api'], permissions: { Contents: 'Read-only' },
  });
  expect(await statusOf(mona, () => mona.getByRole('button', { name: 'Generate token', exact: true }).click())).toBe(422);
  await expect(mona.getByRole('alert')).toContainText('The token was not created.');
  await expect(group(mona, REPO_ACCESS.legend).getByRole('checkbox', { name: 'octo-api', exact: true })).toBeChecked();
  await mona.getByRole('textbox', { name: 'Justification', exact: true }).fill('Works without JS');
  await mona.getByRole('button', { name: 'Generate token', exact: true }).click();
  await expect(mona.getByRole('textbox', { name: 'New token', exact: true })).toHaveValue(/^github_pat_/);
  await expect(mona.getByRole('main')).toContainText('pending approval');
  await mona.reload();
  await expect(mona.getByRole('textbox', { name: 'New token', exact: true })).toHaveCount(0);

  // Owner: filter (GET form), select, approve.
  await page.goto(queuePath('octo-org'));
  await filterGrants(page, { owner: 'mona', repository: 'octo-api', permission: 'contents' });
  expect(new URL(page.url()).searchParams.get('permission')).toBe('contents');
  expect(await grantNames(page)).toEqual(['nojs-bot', 'deploy-bot']);
  await page.getByRole('checkbox', { name: 'Select nojs-bot', exact: true }).check();
  await page.getByRole('button', { name: 'Approve selected', exact: true }).click();
  // Without script the server asks on a page of its own.
  await expect(page.getByRole('heading', { name: 'Approve 1 request?', exact: true, level: 1 })).toBeVisible();
  await confirmAction(page, 'Approve selected requests');
  await expect(flash(page)).toHaveText('Approved “nojs-bot”.');
  // Deny deploy-bot from its page, through the confirmation.
  await page.getByRole('link', { name: 'deploy-bot', exact: true }).click();
  await page.getByRole('button', { name: 'Deny', exact: true }).click();
  await page.getByRole('textbox', { name: 'Reason', exact: true }).fill('No JS, no deploys');
  await page.getByRole('button', { name: 'Deny request', exact: true }).click();
  await expect(flash(page)).toHaveText('Denied “deploy-bot”.');
  // Revoke nojs-bot from its page.
  await page.goto(activeTokensPath('octo-org'));
  await page.getByRole('link', { name: 'nojs-bot', exact: true }).click();
  await page.getByRole('button', { name: 'Revoke', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Revoke “nojs-bot”?', exact: true, level: 1 })).toBeVisible();
  await confirmAction(page, 'Revoke token');
  await expect(flash(page)).toHaveText('Revoked “nojs-bot”.');
  // Bulk revoke.
  await page.getByRole('checkbox', { name: 'Select owner-automation', exact: true }).check();
  await page.getByRole('button', { name: 'Revoke selected', exact: true }).click();
  await confirmAction(page, 'Revoke selected tokens');
  await expect(flash(page)).toHaveText('Revoked “owner-automation”.');

  await mona.goto(devTokensPath);
  await expectTokenStatus(mona, 'nojs-bot', 'Revoked');
  await expectTokenStatus(mona, 'deploy-bot', 'Denied');
  await expectUnread(mona, 3);
  await mona.goto('/notifications');
  const notes = await readNotifications(mona);
  expect(notes).toContainEqual(expect.stringContaining('Your request for token “deploy-bot” was denied by octo-org. Reason: No JS, no deploys'));
  await mona.getByRole('button', { name: 'Mark all as read', exact: true }).click();
  await expectUnread(mona, 0);
  await ctx.close();
});

test('cancel a request, delete a token, and a classic token shown once (no JS)', async ({ page }) => {
  await signIn(page, 'hubot');
  await page.goto(devTokensPath);
  await page.getByRole('link', { name: 'ci-reader', exact: true }).click();
  await page.getByRole('button', { name: 'Cancel request', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Cancel the request for “ci-reader”?', exact: true, level: 1 })).toBeVisible();
  await confirmAction(page, 'Cancel request');
  await expect(flash(page)).toHaveText('Request for “ci-reader” cancelled.');
  await expect(page.getByRole('link', { name: 'ci-reader', exact: true })).toHaveCount(0);

  await page.goto(`${classicTokensPath}/new`);
  await page.getByRole('textbox', { name: 'Note', exact: true }).fill('nojs classic');
  await page.getByRole('checkbox', { name: 'read:org', exact: true }).check();
  await page.getByRole('button', { name: 'Generate token', exact: true }).click();
  await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toHaveValue(/^ghp_[A-Za-z0-9]{36}$/);
  await page.reload();
  await expect(page.getByRole('textbox', { name: 'New token', exact: true })).toHaveCount(0);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  // Back leaves the token as it was.
  await page.getByRole('link', { name: 'Back', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'nojs classic', exact: true, level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirmAction(page, 'Delete token');
  await expect(flash(page)).toContainText('“nojs classic” deleted');
  await expect(page).toHaveURL(new RegExp(`${classicTokensPath}$`));
});
