// Full-page screenshots of the main pages into e2e/.tmp/shots/ for humans to look at.
import { test } from '@playwright/test';
import * as path from 'node:path';
import { useFreshServer } from '../server';
import {
  FG, radio, auditLogPath, clickSave, entPatPath, onboardingPath, orgProfilePath, patSettingsPath, signIn,
} from '../helpers';

useFreshServer();

const SHOTS = path.join(__dirname, '..', '.tmp', 'shots');
const shot = (page: import('@playwright/test').Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

test('screenshots of the main pages', async ({ page, browser, baseURL }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/login');
  await shot(page, '01-login');

  await signIn(page, 'octo-owner');
  await page.goto('/settings/organizations');
  await shot(page, '02-organizations');
  // Screenshots only: fall back to the header's <summary> if it is not exposed as a button.
  await page.getByRole('button', { name: 'Open user navigation menu', exact: true })
    .or(page.locator('header summary')).first().click();
  await shot(page, '03-user-menu-open');
  await page.goto(orgProfilePath('octo-org'));
  await shot(page, '04-org-general');
  await page.goto(patSettingsPath('octo-org'));
  await shot(page, '05-pat-settings-octo-org');
  await radio(page, FG.legend, FG.restrict).check();
  await clickSave(page); // past the confirmation of the tokens it blocks
  await shot(page, '05b-pat-settings-saved');
  await page.goto(auditLogPath('octo-org'));
  await shot(page, '06-audit-log');
  await page.goto(onboardingPath('solo-org'));
  await shot(page, '07-onboarding-step1');
  for (const name of ['08-onboarding-step2', '09-onboarding-step3', '10-onboarding-review']) {
    await page.getByRole('button', { name: 'Continue', exact: true }).click().catch(() => {});
    await shot(page, name);
  }
  await page.goto('/no/such/page');
  await shot(page, '11-not-found');

  const ctx = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const admin = await ctx.newPage();
  await signIn(admin, 'ent-admin');
  await admin.goto('/settings/enterprises');
  await shot(admin, '12-enterprises');
  await admin.goto(entPatPath('octo-ent'));
  await shot(admin, '13-enterprise-policies');
  await ctx.close();
});
