// Inactive tokens: the organization's limit set on its settings page, kept
// and explained when refused, and locked there once the enterprise enforces
// its own.
import { expect, Page, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  auditLog,
  clickSave,
  entPatPath,
  expectNoAxeViolations,
  group,
  patSettingsPath,
  saveAndExpectSaved,
  screenshotsAt,
  signedInPages,
  signIn,
} from '../helpers';

const srv = useFreshServer();
const signedInPage = signedInPages(srv);
test.describe.configure({ mode: 'serial' });

const INACTIVE = {
  legend: 'Inactive tokens',
  revoke: 'Revoke tokens not used for',
  days: 'Days without use',
};

const inactive = (page: Page) => group(page, INACTIVE.legend);
const revoke = (page: Page) => inactive(page).getByRole('checkbox', { name: INACTIVE.revoke, exact: true });
const days = (page: Page) => inactive(page).getByRole('spinbutton', { name: INACTIVE.days, exact: true });

test('an owner sets the limit; a value out of range comes back with the error', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath('octo-org'));
  await expect(revoke(page)).not.toBeChecked();
  await revoke(page).check();
  await days(page).fill('5');
  await clickSave(page);
  await expect(page.getByRole('alert').first()).toContainText('Enter a whole number of days from 7 to 366.');
  await expect(page.getByRole('status').filter({ hasText: 'saved' })).toHaveCount(0);
  await expect(revoke(page)).toBeChecked();
  await expect(days(page)).toHaveValue('5');
  await expect(days(page)).toHaveAttribute('aria-invalid', 'true');
  await expectNoAxeViolations(page, 'settings with an inactivity error');
  await screenshotsAt(page, 'inactivity-error');

  await days(page).fill('30');
  await saveAndExpectSaved(page);
  await expect(revoke(page)).toBeChecked();
  await expect(days(page)).toHaveValue('30');
  await expectNoAxeViolations(page, 'settings with an inactivity limit');
  await screenshotsAt(page, 'inactivity-org');
  const actions = (await auditLog(page, 'octo-org')).map((r) => r.action);
  expect(actions).toContain('personal_access_token.inactivity_limit_set');
});

test.describe('without script', () => {
  test.use({ javaScriptEnabled: false });
  test('the limit is changed and saved', async ({ page }) => {
    await signIn(page, 'octo-owner');
    await page.goto(patSettingsPath('octo-org'));
    await days(page).fill('60');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('status')).toContainText('saved');
    await expect(days(page)).toHaveValue('60');
  });
});

test('the enterprise enforces a limit and the organization shows it locked', async ({ page, browser }) => {
  await signIn(page, 'ent-admin');
  await page.goto(entPatPath('octo-ent'));
  await revoke(page).check();
  await days(page).fill('14');
  await saveAndExpectSaved(page);
  await expect(days(page)).toHaveValue('14');
  await expectNoAxeViolations(page, 'enterprise policies with an inactivity limit');
  await screenshotsAt(page, 'inactivity-enterprise');

  const owner = await signedInPage(browser, 'octo-owner');
  await owner.goto(patSettingsPath('octo-org'));
  await expect(inactive(owner)).toContainText('Managed by the Octo Enterprise enterprise');
  await expect(revoke(owner)).toBeDisabled();
  await expect(revoke(owner)).toBeChecked();
  await expect(days(owner)).toBeDisabled();
  await expect(days(owner)).toHaveValue('14');
  // The rest of the form still saves.
  await saveAndExpectSaved(owner);
  await expect(days(owner)).toHaveValue('14');
  await expectNoAxeViolations(owner, 'settings with the enterprise-enforced inactivity limit');
  await screenshotsAt(owner, 'inactivity-locked');
});
