// axe-core (WCAG 2.0/2.1 A and AA) on every main page: zero violations expected.
import { expect, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  APPROVAL, CLASSIC, FG, LIFETIME, auditLogPath, entPatPath, expectNoAxeViolations, group, onboardingPath,
  openUserMenu, orgProfilePath, patSettingsPath, radio, saveAndExpectSaved, signIn,
} from '../helpers';

useFreshServer();

test('login page, and login with the error alert', async ({ page }) => {
  await page.goto('/login');
  await expectNoAxeViolations(page, 'login');
  await signIn(page, 'octo-owner', { password: 'wrong', goto: false, expectSuccess: false });
  await expect(page.getByRole('alert')).toBeVisible();
  await expectNoAxeViolations(page, 'login with error');
});

test('your organizations, with the user menu open', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto('/settings/organizations');
  await expect(page.getByRole('heading', { name: 'Organizations', exact: true })).toBeVisible();
  await expectNoAxeViolations(page, 'your organizations');
  await openUserMenu(page);
  await expectNoAxeViolations(page, 'your organizations (user menu open)');
});

test('your enterprises and enterprise policies', async ({ page }) => {
  await signIn(page, 'ent-admin');
  await page.goto('/settings/enterprises');
  await expect(page.getByRole('link', { name: 'Octo Enterprise', exact: true })).toBeVisible();
  await expectNoAxeViolations(page, 'your enterprises');
  await page.goto(entPatPath('octo-ent'));
  await expect(page.getByRole('button', { name: 'Save', exact: true })).toBeVisible();
  await expectNoAxeViolations(page, 'enterprise policies');
});

test('organization general settings', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(orgProfilePath('octo-org'));
  await expect(page.getByRole('navigation', { name: 'Organization settings', exact: true })).toBeVisible();
  await expectNoAxeViolations(page, 'org general');
});

test('PAT settings with the enterprise lock, and after a save', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));
  await expect(group(page, CLASSIC.legend)).toContainText('Managed by the Octo Enterprise enterprise');
  await expectNoAxeViolations(page, 'PAT settings (locked classic)');
  await radio(page, FG.legend, FG.restrict).check();
  await saveAndExpectSaved(page);
  await expectNoAxeViolations(page, 'PAT settings (saved flash)');
});

test('onboarding, each step and the review', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(onboardingPath('solo-org'));
  await expect(group(page, FG.legend)).toBeVisible();
  await expectNoAxeViolations(page, 'onboarding step 1');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(group(page, APPROVAL.legend)).toBeVisible();
  await expectNoAxeViolations(page, 'onboarding step 2');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(group(page, CLASSIC.legend)).toBeVisible();
  await expectNoAxeViolations(page, 'onboarding step 3');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Enroll', exact: true })).toBeVisible();
  await expectNoAxeViolations(page, 'onboarding review');
});

test('audit log', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));
  await radio(page, APPROVAL.legend, APPROVAL.noRequire).check();
  await saveAndExpectSaved(page);
  await page.goto(auditLogPath('octo-org'));
  await expect(page.getByRole('heading', { name: 'Audit log', exact: true })).toBeVisible();
  await expectNoAxeViolations(page, 'audit log');
});

test('404 page', async ({ page }) => {
  await signIn(page, 'mona');
  const res = await page.goto(patSettingsPath('octo-org'));
  expect(res?.status()).toBe(404);
  await expectNoAxeViolations(page, '404 (signed in)');
  const res2 = await page.goto('/no/such/page');
  expect(res2?.status()).toBe(404);
  await expectNoAxeViolations(page, '404 (unknown path)');
});

test('PAT settings showing a validation error', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));
  const lifetime = group(page, LIFETIME.legend);
  await lifetime.getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true }).check();
  const days = lifetime.getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true });
  await days.fill('400'); // days must be 1-366
  await page.locator('form').filter({ has: days }).evaluate((f: HTMLFormElement) => { f.noValidate = true; });
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'saved' })).toHaveCount(0);
  await expect(page.getByRole('alert')).not.toHaveCount(0);
  await expectNoAxeViolations(page, 'PAT settings (validation error)');
});
