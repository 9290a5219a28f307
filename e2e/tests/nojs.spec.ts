// Everything an owner needs works with JavaScript disabled.
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  APPROVAL, CLASSIC, FG, goToPatSettingsLikeTheDoc, onboardingPath, openUserMenu, patSettingsPath, radio,
  saveAndExpectSaved, signIn,
} from '../helpers';

useFreshServer();
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
