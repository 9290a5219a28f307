// Onboarding of an organization that has not opted in to fine-grained tokens (solo-org).
import { expect, Page, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  APPROVAL, CLASSIC, FG, auditLog, group, onboardingPath, patSettingsPath, radio, signIn,
} from '../helpers';

useFreshServer();
test.describe.configure({ mode: 'serial' });

const continueBtn = (page: Page) => page.getByRole('button', { name: 'Continue', exact: true });
const backBtn = (page: Page) => page.getByRole('button', { name: 'Back', exact: true });
const enrollBtn = (page: Page) => page.getByRole('button', { name: 'Enroll', exact: true });

async function expectStep(page: Page, legend: string) {
  // Each step is one fieldset; the others are not shown.
  for (const l of [FG.legend, APPROVAL.legend, CLASSIC.legend]) {
    if (l === legend) await expect(group(page, l)).toBeVisible();
    else await expect(group(page, l)).toHaveCount(0);
  }
  await expect(continueBtn(page)).toBeVisible();
  await expect(enrollBtn(page)).toHaveCount(0);
}

test('solo-org is sent to onboarding, Back keeps choices, Enroll opts in', async ({ page }) => {
  await signIn(page, 'octo-owner');
  const before = await auditLog(page, 'solo-org');
  expect(before.map((r) => r.action)).not.toContain('personal_access_token.fine_grained_opt_in');

  await page.goto(patSettingsPath('solo-org'));
  await expect(page).toHaveURL(new RegExp(`${onboardingPath('solo-org')}$`));

  // Step 1: fine-grained access; no Back.
  await expectStep(page, FG.legend);
  await expect(backBtn(page)).toHaveCount(0);
  await radio(page, FG.legend, FG.restrict).check();
  await continueBtn(page).click();

  // Step 2: approval.
  await expectStep(page, APPROVAL.legend);
  await expect(backBtn(page)).toBeVisible();
  await radio(page, APPROVAL.legend, APPROVAL.noRequire).check();
  await backBtn(page).click();

  // Back on step 1, the choice is kept.
  await expectStep(page, FG.legend);
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();
  await expect(radio(page, FG.legend, FG.allow)).not.toBeChecked();
  await continueBtn(page).click();

  // Step 2 again: the choice made before going back is kept.
  await expectStep(page, APPROVAL.legend);
  await expect(radio(page, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await continueBtn(page).click();

  // Step 3: classic.
  await expectStep(page, CLASSIC.legend);
  await expect(backBtn(page)).toBeVisible();
  await radio(page, CLASSIC.legend, CLASSIC.restrict).check();
  await backBtn(page).click();
  await expectStep(page, APPROVAL.legend);
  await expect(radio(page, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await continueBtn(page).click();
  await expectStep(page, CLASSIC.legend);
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeChecked();
  await continueBtn(page).click();

  // Review: the three choices, and Enroll. Back from review returns to step 3.
  await expect(enrollBtn(page)).toBeVisible();
  const main = page.locator('body');
  await expect(main).toContainText(FG.restrict);
  await expect(main).toContainText(APPROVAL.noRequire);
  await expect(main).toContainText(CLASSIC.restrict);
  await expect(backBtn(page)).toBeVisible();
  await backBtn(page).click();
  await expectStep(page, CLASSIC.legend);
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeChecked();
  await continueBtn(page).click();
  await expect(enrollBtn(page)).toBeVisible();

  await enrollBtn(page).click();
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('solo-org')}$`));
  const status = page.getByRole('status');
  await expect(status).toHaveCount(1);
  await expect(status).not.toBeEmpty();

  // The chosen values are shown.
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();
  await expect(radio(page, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeChecked();
  // solo-org has no enterprise: nothing locked.
  await expect(radio(page, CLASSIC.legend, CLASSIC.allow)).toBeEnabled();
  await expect(page.getByText('Managed by')).toHaveCount(0);

  // And they persist; no more redirect to onboarding.
  await page.goto(patSettingsPath('solo-org'));
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('solo-org')}$`));
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();
  await expect(radio(page, APPROVAL.legend, APPROVAL.noRequire)).toBeChecked();
  await expect(radio(page, CLASSIC.legend, CLASSIC.restrict)).toBeChecked();

  const rows = await auditLog(page, 'solo-org');
  const optIn = rows.find((r) => r.action === 'personal_access_token.fine_grained_opt_in');
  expect(optIn, `audit rows: ${JSON.stringify(rows, null, 1)}`).toBeTruthy();
  expect(optIn!.actor).toContain('octo-owner');
  const filtered = await auditLog(page, 'solo-org', 'personal_access_token.fine_grained_opt_in');
  expect(filtered.length).toBe(1);
});

test('octo-org (owned by an opted-in enterprise) needs no onboarding', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));
  await expect(page).toHaveURL(new RegExp(`${patSettingsPath('octo-org')}$`));
  await expect(group(page, FG.legend)).toBeVisible();
  await expect(group(page, APPROVAL.legend)).toBeVisible();
  await expect(group(page, CLASSIC.legend)).toBeVisible();
});
