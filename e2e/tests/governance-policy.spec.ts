// Automatic approval of read-only requests, and the figures a settings
// change shows before it is saved. The tests build on each other, in order.
import { expect, Page, test } from '@playwright/test';
import { useFreshServer } from '../server';
import {
  APPROVAL,
  FG,
  LIFETIME,
  REPO_ACCESS,
  createFineGrainedToken,
  expectNoAxeViolations,
  flash,
  group,
  patSettingsPath,
  radio,
  saveButton,
  screenshotsAt,
  signIn,
  signedInPages,
} from '../helpers';

const srv = useFreshServer();
test.describe.configure({ mode: 'serial' });
const signedInPage = signedInPages(srv);

const ORG = 'octo-org';
const AUTO = {
  legend: 'Automatic approval',
  readOnly: 'Approve read-only requests automatically',
  repos: 'Only for these repositories',
};
const shots = (page: Page, name: string) => screenshotsAt(page, 'governance-' + name);
const confirmForm = (page: Page) => page.locator('main form:has(input[name="confirm"][value="yes"])');

test('turning on automatic approval says what it approves, then approves read-only requests at creation', async ({ page, browser }) => {
  test.slow();
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath(ORG));
  const auto = group(page, AUTO.legend);
  await expect(auto).toBeVisible();
  await expect(auto.getByRole('listbox', { name: AUTO.repos, exact: true })).toBeVisible();
  await auto.getByRole('checkbox', { name: AUTO.readOnly, exact: true }).check();
  await expectNoAxeViolations(page, 'PAT settings with automatic approval');
  await shots(page, 'settings');

  await saveButton(page).click();
  // The demo's two pending requests are read-only: the rule approves them.
  await expect(page.getByRole('heading', { name: 'Save these settings?', exact: true, level: 1 })).toBeVisible();
  await expect(page.getByRole('main')).toContainText('Saving approves 2 pending requests in octo-org');
  await confirmForm(page).getByRole('button', { name: 'Save and approve requests', exact: true }).click();
  await expect(flash(page)).toContainText('saved');
  await expect(group(page, AUTO.legend).getByRole('checkbox', { name: AUTO.readOnly, exact: true })).toBeChecked();

  // A member's read-only request is approved the moment it is made.
  const mona = await signedInPage(browser, 'mona');
  await createFineGrainedToken(mona, {
    name: 'status-reader', owner: ORG, justification: 'Reads build status', selection: REPO_ACCESS.all,
    permissions: { Contents: 'Read-only' },
  });
  await expect(mona.getByRole('main')).not.toContainText('pending approval');
});

test('with script, the fieldset is hidden while approval is not required', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath(ORG));
  await radio(page, APPROVAL.legend, APPROVAL.noRequire).check();
  await expect(group(page, AUTO.legend)).toBeHidden();
  await radio(page, APPROVAL.legend, APPROVAL.require).check();
  await expect(group(page, AUTO.legend)).toBeVisible();
});

test('restricting fine-grained tokens says how many active tokens it blocks before saving', async ({ page }) => {
  await signIn(page, 'octo-owner');
  await page.goto(patSettingsPath(ORG));
  await radio(page, FG.legend, FG.restrict).check();
  await saveButton(page).click();
  await expect(page.getByRole('heading', { name: 'Save these settings?', exact: true, level: 1 })).toBeVisible();
  await expect(page.getByRole('main')).toContainText(/Saving blocks \d+ active tokens in octo-org/);
  await expectNoAxeViolations(page, 'confirmation of what saving blocks');
  await shots(page, 'confirm');
  await confirmForm(page).getByRole('button', { name: 'Save and block tokens', exact: true }).click();
  await expect(flash(page)).toContainText('saved');
  await expect(radio(page, FG.legend, FG.restrict)).toBeChecked();
});

test.describe('without script', () => {
  test.use({ javaScriptEnabled: false });

  test('the fieldset is always there, and a shorter lifetime asks on a page with the figures', async ({ page }) => {
    await signIn(page, 'octo-owner');
    await page.goto(patSettingsPath(ORG));
    await radio(page, FG.legend, FG.allow).check();
    await saveButton(page).click();
    await expect(flash(page)).toContainText('saved');

    await radio(page, APPROVAL.legend, APPROVAL.noRequire).check();
    await expect(group(page, AUTO.legend)).toBeVisible();
    await radio(page, APPROVAL.legend, APPROVAL.require).check();
    const lifetime = group(page, LIFETIME.legend);
    await lifetime.getByRole('checkbox', { name: LIFETIME.fgExpire, exact: true }).check();
    await lifetime.getByRole('spinbutton', { name: LIFETIME.fgDays, exact: true }).fill('1');
    await saveButton(page).click();
    await expect(page.getByRole('heading', { name: 'Save these settings?', exact: true, level: 1 })).toBeVisible();
    await expect(page.getByRole('main')).toContainText(/Saving blocks \d+ active tokens? in octo-org/);
    await confirmForm(page).getByRole('button', { name: 'Save and block tokens', exact: true }).click();
    await expect(flash(page)).toContainText('saved');
  });
});
