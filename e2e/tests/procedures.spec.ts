// The three procedures of setting an organization's token policy (restricting
// fine-grained tokens, requiring approval, restricting classic tokens), followed
// click by click as an organization owner (octo-owner), from the profile menu.
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  APPROVAL, CLASSIC, FG, auditLog, enrollWith, goToPatSettingsLikeTheDoc, group, onboardingPath, orgSettingsNav,
  patSettingsPath, radio, saveAndExpectSaved, saveButton, signIn,
} from '../helpers';

useFreshServer();
test.describe.configure({ mode: 'serial' });

test.beforeEach(async ({ page }) => {
  await signIn(page, 'octo-owner');
});

test('Restricting access by fine-grained personal access tokens (octo-org)', async ({ page }) => {
  await goToPatSettingsLikeTheDoc(page, 'octo-org');
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('octo-org')}$`));
  await expect(orgSettingsNav(page).getByRole('link', { name: 'Settings', exact: true })).toHaveAttribute('aria-current', 'page');

  // 4. Under "Fine-grained personal access tokens", select the option that meets your needs.
  await expect(radio(page, FG.legend, FG.allow)).toBeChecked(); // demo: octo-org allows
  await expect(radio(page, FG.legend, FG.allow)).toBeEnabled();
  await radio(page, FG.legend, FG.restrict).check();
  // 5. Click Save.
  await saveAndExpectSaved(page);
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();

  await page.goto(patSettingsPath('octo-org'));
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();
  await expect(radio(page, FG.legend, FG.allow)).not.toBeChecked();

  const rows = await auditLog(page, 'octo-org');
  const row = rows.find((r) => r.action === 'personal_access_token.access_restriction_enabled');
  expect(row, `audit rows: ${JSON.stringify(rows, null, 1)}`).toBeTruthy();
  expect(row!.actor).toContain('octo-owner');
});

test('Enforcing an approval policy for fine-grained personal access tokens (octo-org)', async ({ page }) => {
  await goToPatSettingsLikeTheDoc(page, 'octo-org');
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('octo-org')}$`));

  // 4. Under "Require approval of fine-grained personal access tokens", select an option.
  await expect(radio(page, APPROVAL.legend, APPROVAL.require)).toBeChecked(); // demo: octo-org requires approval
  await radio(page, APPROVAL.legend, APPROVAL.noRequire).check();
  // 5. Click Save.
  await saveAndExpectSaved(page);

  await page.goto(patSettingsPath('octo-org'));
  await expect(radio(page, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await expect(radio(page, APPROVAL.legend, APPROVAL.require)).not.toBeChecked();
  // The earlier fine-grained choice is untouched.
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();

  const rows = await auditLog(page, 'octo-org');
  const actions = rows.map((r) => r.action);
  const iApproval = actions.indexOf('auto_approve_personal_access_token_requests.enable');
  const iRestrict = actions.indexOf('personal_access_token.access_restriction_enabled');
  expect(iApproval, `audit actions: ${JSON.stringify(actions)}`).toBeGreaterThanOrEqual(0);
  expect(rows[iApproval].actor).toContain('octo-owner');
  // Newest first.
  expect(iRestrict, `audit actions: ${JSON.stringify(actions)}`).toBeGreaterThan(iApproval);
  // Filter by action.
  const filtered = await auditLog(page, 'octo-org', 'auto_approve_personal_access_token_requests.enable');
  expect(filtered.length).toBeGreaterThanOrEqual(1);
  for (const r of filtered) expect(r.action).toBe('auto_approve_personal_access_token_requests.enable');
});

test('Restricting access by personal access tokens (classic): locked by the enterprise on octo-org', async ({ page }) => {
  await goToPatSettingsLikeTheDoc(page, 'octo-org');
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('octo-org')}$`));

  // 4. Under "Personal access token (classic)": the enterprise restricts, the org cannot override.
  const classic = group(page, CLASSIC.legend);
  await expect(classic).toContainText('Managed by the Octo Enterprise enterprise');
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeDisabled();
  await expect(radio(page, CLASSIC.legend, CLASSIC.allow)).toBeDisabled();
  await expect(radio(page, CLASSIC.legend, CLASSIC.allow)).not.toBeChecked();
  // Other settings stay editable, so Save is enabled.
  await expect(radio(page, FG.legend, FG.allow)).toBeEnabled();
  await expect(saveButton(page)).toBeEnabled();
});

test('Restricting access by personal access tokens (classic) on solo-org, opting in on the way', async ({ page }) => {
  // "If your organization has not already opted-in, then you will be prompted to opt-in
  // and set policies when you follow the steps below."
  await goToPatSettingsLikeTheDoc(page, 'solo-org');
  await expect(page).toHaveURL(new RegExp(`${onboardingPath('solo-org')}$`));

  await enrollWith(page, FG.allow, APPROVAL.require, CLASSIC.allow);
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('solo-org')}$`));
  await expect(page.getByRole('status')).toBeVisible();

  // Now the procedure itself, from the start.
  await goToPatSettingsLikeTheDoc(page, 'solo-org');
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('solo-org')}$`));
  // No enterprise: nothing is locked.
  await expect(group(page, CLASSIC.legend)).not.toContainText('Managed by');
  await expect(radio(page, CLASSIC.legend, CLASSIC.allow)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeEnabled();
  // 4. Under "Personal access token (classic)", select the option that meets your needs.
  await radio(page, CLASSIC.legend, CLASSIC.restrict).check();
  // 5. Click Save.
  await saveAndExpectSaved(page);

  await page.goto(patSettingsPath('solo-org'));
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, CLASSIC.allow)).not.toBeChecked();

  const rows = await auditLog(page, 'solo-org');
  const row = rows.find((r) => r.action === 'personal_access_token.classic_access_restriction_enabled');
  expect(row, `audit rows: ${JSON.stringify(rows, null, 1)}`).toBeTruthy();
  expect(row!.actor).toContain('octo-owner');
  // The classic restriction is not a fine-grained one.
  expect(rows.map((r) => r.action)).not.toContain('personal_access_token.access_restriction_enabled');

  // And the fine-grained and approval procedures work on solo-org too.
  await page.goto(patSettingsPath('solo-org'));
  await radio(page, FG.legend, FG.restrict).check();
  await radio(page, APPROVAL.legend, APPROVAL.noRequire).check();
  await saveAndExpectSaved(page);
  const after = (await auditLog(page, 'solo-org')).map((r) => r.action);
  expect(after).toContain('personal_access_token.access_restriction_enabled');
  expect(after).toContain('auto_approve_personal_access_token_requests.enable');
});
