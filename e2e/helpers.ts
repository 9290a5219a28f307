import { expect, Locator, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export const PASSWORD = 'demo-password';

export const FG = {
  legend: 'Fine-grained personal access tokens',
  allow: 'Allow access via fine-grained personal access tokens',
  restrict: 'Restrict access via fine-grained personal access tokens',
};
export const APPROVAL = {
  legend: 'Require approval of fine-grained personal access tokens',
  require: 'Require administrator approval',
  noRequire: 'Do not require administrator approval',
};
export const CLASSIC = {
  legend: 'Personal access token (classic)',
  allow: 'Allow access via personal access tokens (classic)',
  restrict: 'Restrict access via personal access tokens (classic)',
};
export const LIFETIME = {
  legend: 'Set maximum lifetimes for personal access tokens',
  fgExpire: 'Fine-grained personal access tokens must expire',
  fgDays: 'Maximum lifetime of fine-grained personal access tokens (days)',
  classicExpire: 'Personal access tokens (classic) must expire',
  classicDays: 'Maximum lifetime of personal access tokens (classic) (days)',
  exemptAdmins: 'Exempt administrators',
};
export const ENT = {
  fgConfigure: 'Allow organizations to configure access requirements',
  fgRestrict: 'Restrict access via fine-grained personal access tokens',
  fgAllow: 'Allow access via fine-grained personal access tokens',
  approvalConfigure: 'Allow organizations to configure approval requirements',
  approvalRequire: 'Require organizations to use the approval flow',
  approvalDisable: 'Disable the approval flow in all organizations',
  classicConfigure: 'Allow organizations to configure personal access tokens (classic) access requirements',
  classicRestrict: 'Restrict access via personal access tokens (classic)',
  classicAllow: 'Allow access via personal access tokens (classic)',
};

export const patSettingsPath = (org: string) => `/organizations/${org}/settings/personal-access-tokens`;
export const onboardingPath = (org: string) => `/organizations/${org}/settings/personal-access-tokens-onboarding`;
export const auditLogPath = (org: string) => `/organizations/${org}/settings/audit-log`;
export const orgProfilePath = (org: string) => `/organizations/${org}/settings/profile`;
export const entPatPath = (ent: string) => `/enterprises/${ent}/settings/personal-access-tokens`;

/** Fills the sign-in form at /login (or at the current login page when `goto` is false). */
export async function signIn(page: Page, login: string, opts: { password?: string; goto?: boolean; expectSuccess?: boolean } = {}) {
  const { password = PASSWORD, goto = true, expectSuccess = true } = opts;
  if (goto) await page.goto('/login');
  await page.getByRole('textbox', { name: 'Username or email address', exact: true }).fill(login);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (expectSuccess) {
    await expect(page).not.toHaveURL(/\/login(\?|$)/);
  }
}

export function userMenuButton(page: Page): Locator {
  return page.getByRole('button', { name: 'Open user navigation menu', exact: true });
}

/** "click your profile photo": opens the header's user menu. */
export async function openUserMenu(page: Page) {
  await userMenuButton(page).click();
  await expect(page.getByRole('link', { name: 'Your organizations', exact: true })).toBeVisible();
}

export function orgSettingsNav(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Organization settings', exact: true });
}

/**
 * Steps 1-3 of each procedure of the reference document:
 * profile menu > Your organizations > Settings next to the organization >
 * left sidebar, under "Personal access tokens", Settings.
 */
export async function goToPatSettingsLikeTheDoc(page: Page, org: string) {
  // 1. In the top right corner, click your profile photo, then click Your organizations.
  await openUserMenu(page);
  await page.getByRole('link', { name: 'Your organizations', exact: true }).click();
  await expect(page).toHaveURL(/\/settings\/organizations$/);
  await expect(page.getByRole('heading', { name: 'Organizations', exact: true })).toBeVisible();
  // 2. Next to the organization, click Settings.
  const item = page.getByRole('listitem').filter({ hasText: new RegExp(`(^|[^\\w-])${org}([^\\w-]|$)`) })
    .filter({ has: page.getByRole('link', { name: 'Settings', exact: true }) });
  await expect(item).toHaveCount(1);
  await item.getByRole('link', { name: 'Settings', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/organizations/${org}/settings/profile$`));
  // 3. In the left sidebar, under Personal access tokens, click Settings.
  const nav = orgSettingsNav(page);
  await expect(nav).toBeVisible();
  await expect(nav.getByRole('heading', { name: 'Personal access tokens', exact: true })).toBeVisible();
  await nav.getByRole('link', { name: 'Settings', exact: true }).click();
}

export function group(scope: Page | Locator, legend: string): Locator {
  return scope.getByRole('group', { name: legend, exact: true });
}

export function radio(scope: Page | Locator, legend: string, label: string): Locator {
  return group(scope, legend).getByRole('radio', { name: label, exact: true });
}

export function saveButton(page: Page): Locator {
  return page.getByRole('button', { name: 'Save', exact: true });
}

/** Clicks Save and expects the single role=status flash containing "saved". */
export async function saveAndExpectSaved(page: Page) {
  await saveButton(page).click();
  const status = page.getByRole('status');
  await expect(status).toHaveCount(1);
  await expect(status).toContainText('saved');
}

export interface AuditRow {
  action: string;
  actor: string;
  details: string;
  time: string;
}

/** Reads the audit log table of the current page (columns Action, Actor, Details, Time). */
export async function readAuditTable(page: Page): Promise<AuditRow[]> {
  await expect(page.getByRole('heading', { name: 'Audit log', exact: true })).toBeVisible();
  const table = page.getByRole('table');
  // An empty log may show an empty state instead of a table.
  if ((await table.count()) === 0) return [];
  await expect(table).toHaveCount(1);
  const headers = (await table.getByRole('columnheader').allInnerTexts()).map((s) => s.trim());
  const col = (name: string) => {
    const i = headers.indexOf(name);
    expect(i, `audit log column "${name}" (columns: ${JSON.stringify(headers)})`).toBeGreaterThanOrEqual(0);
    return i;
  };
  const [ia, iu, id, it] = [col('Action'), col('Actor'), col('Details'), col('Time')];
  const rows = table.getByRole('row').filter({ has: page.getByRole('cell') });
  const out: AuditRow[] = [];
  for (const row of await rows.all()) {
    // Row headers (th scope=row) count as cells of the row too.
    const cells = (await row.locator(':scope > th, :scope > td').allInnerTexts()).map((s) => s.trim());
    out.push({ action: cells[ia] ?? '', actor: cells[iu] ?? '', details: cells[id] ?? '', time: cells[it] ?? '' });
  }
  return out;
}

/** The audit log's "Action" filter control (a combobox or a textbox). */
export function auditActionFilter(page: Page): Locator {
  return page.getByRole('combobox', { name: 'Action', exact: true })
    .or(page.getByRole('textbox', { name: 'Action', exact: true }));
}

/** Opens the organization's audit log, optionally filtered by action through its GET form. */
export async function auditLog(page: Page, org: string, action?: string): Promise<AuditRow[]> {
  await page.goto(auditLogPath(org));
  if (action) {
    const control = auditActionFilter(page);
    await expect(control).toHaveCount(1);
    const tag = await control.evaluate((e) => e.tagName);
    if (tag === 'SELECT') await control.selectOption(action);
    else await control.fill(action);
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect(page).toHaveURL(/\?/);
  }
  return readAuditTable(page);
}

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe (WCAG 2.0/2.1 A and AA) on the page and fails with a readable list of violations. */
export async function expectNoAxeViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const report = results.violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    - ${n.target.join(' ')}\n      ${n.html.slice(0, 200)}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
    })
    .join('\n');
  expect(results.violations.length, `axe violations on ${label} (${page.url()}):\n${report}`).toBe(0);
}
