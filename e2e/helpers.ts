import { Browser, BrowserContext, expect, Locator, Page, test } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import * as path from 'node:path';

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

/** On onboarding step 1 (already open): picks the three choices, Continue after each, then Enroll. */
export async function enrollWith(page: Page, fineGrained: string, approval: string, classic: string) {
  for (const [legend, label] of [[FG.legend, fineGrained], [APPROVAL.legend, approval], [CLASSIC.legend, classic]]) {
    await radio(page, legend, label).check();
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
  }
  await page.getByRole('button', { name: 'Enroll', exact: true }).click();
}

export function saveButton(page: Page): Locator {
  return page.getByRole('button', { name: 'Save', exact: true });
}

/** Clicks Save and expects the single role=status flash containing "saved". */
/**
 * Goes ahead with an action the app asks about: in the dialog app.js shows,
 * or on the confirmation page the server answers with when script is off.
 */
export async function confirmAction(page: Page, button: string) {
  const asking = page.getByRole('dialog').or(page.locator('main form:has(input[name="confirm"][value="yes"])'));
  await expect(asking).toBeVisible();
  await asking.getByRole('button', { name: button, exact: true }).click();
}

/**
 * Presses "Save", going ahead when saving would approve pending requests (a checked option that asks first),
 * and on the confirmation page the server answers when saving would block tokens or approve requests.
 */
export async function clickSave(page: Page) {
  const asks = await page.locator('input:checked[data-confirm]').count();
  await saveButton(page).click();
  if (asks > 0) await confirmAction(page, 'Save and approve requests');
  await page.waitForLoadState();
  if ((await page.locator('main ul.impact-list').count()) > 0) {
    await page.locator('main form:has(input[name="confirm"][value="yes"])').getByRole('button', { name: /^Save and / }).click();
  }
}

export async function saveAndExpectSaved(page: Page) {
  await clickSave(page);
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

// ---------------------------------------------------------------------------
// Tokens, the approval queue, active tokens and notifications (the Developer
// settings, Pending requests and Active tokens screens).

export const devTokensPath = '/settings/personal-access-tokens';
export const classicTokensPath = '/settings/tokens';
export const queuePath = (org: string) => `/organizations/${org}/settings/personal-access-token-requests`;
export const activeTokensPath = (org: string) => `/organizations/${org}/settings/personal-access-tokens/active`;

export const REPO_ACCESS = {
  legend: 'Repository access',
  public: 'Public repositories',
  all: 'All repositories',
  selected: 'Only select repositories',
} as const;

export type PermissionLevel = 'No access' | 'Read-only' | 'Read and write';

export interface FineGrainedToken {
  name: string;
  /** Resource owner option *value*: '@me' or an organization login (default '@me'). */
  owner?: string;
  /** Expiration option label, e.g. '7 days' (default: leave the form's default, 30 days). */
  expiration?: string;
  description?: string;
  justification?: string;
  /** Radio label in "Repository access" (default: leave the form's default, public). */
  selection?: (typeof REPO_ACCESS)['public' | 'all' | 'selected'];
  /** Repository names to tick (with selection "Only select repositories"). */
  repos?: string[];
  /** Permission combobox name ("Contents", "Members", …) to option label. */
  permissions?: Record<string, PermissionLevel>;
}

/** The header's notifications link, named "Notifications" or "Notifications (N unread)". */
export function notificationsLink(page: Page): Locator {
  return page.getByRole('banner').getByRole('link', { name: /^Notifications( \(\d+ unread\))?$/ });
}

/** Expects the header's notifications link to announce `unread` unread notifications (0: plain "Notifications"). */
export async function expectUnread(page: Page, unread: number) {
  const name = unread === 0 ? 'Notifications' : `Notifications (${unread} unread)`;
  await expect(notificationsLink(page)).toHaveAccessibleName(name);
}

/** Fills /settings/personal-access-tokens/new (already open) with `t`; leaves untouched what `t` omits. */
export async function fillFineGrainedForm(page: Page, t: FineGrainedToken) {
  await page.getByRole('textbox', { name: 'Token name', exact: true }).fill(t.name);
  if (t.expiration) await page.getByRole('combobox', { name: 'Expiration', exact: true }).selectOption({ label: t.expiration });
  if (t.description !== undefined) await page.getByRole('textbox', { name: 'Description', exact: true }).fill(t.description);
  if (t.owner) await page.getByRole('combobox', { name: 'Resource owner', exact: true }).selectOption(t.owner);
  if (t.justification !== undefined) await page.getByRole('textbox', { name: 'Justification', exact: true }).fill(t.justification);
  if (t.selection) await radio(page, REPO_ACCESS.legend, t.selection).check();
  for (const r of t.repos ?? []) {
    await group(page, REPO_ACCESS.legend).getByRole('checkbox', { name: r, exact: true }).check();
  }
  for (const [perm, level] of Object.entries(t.permissions ?? {})) {
    await page.getByRole('combobox', { name: perm, exact: true }).selectOption({ label: level });
  }
}

export interface CreatedToken {
  /** The token page, e.g. /settings/personal-access-tokens/7 */
  path: string;
  /** The secret, read from the "New token" textbox shown once. */
  secret: string;
}

/** Reads the once-shown "New token" textbox of the token page the browser is on. */
async function readNewToken(page: Page): Promise<string> {
  const box = page.getByRole('textbox', { name: 'New token', exact: true });
  await expect(box).toBeVisible();
  await expect(box).not.toBeEditable();
  return box.inputValue();
}

/** Opens the new fine-grained token form, fills it, generates the token and returns its page and secret. */
export async function createFineGrainedToken(page: Page, t: FineGrainedToken): Promise<CreatedToken> {
  await page.goto(`${devTokensPath}/new`);
  await fillFineGrainedForm(page, t);
  await page.getByRole('button', { name: 'Generate token', exact: true }).click();
  await expect(page, `token "${t.name}" should have been created`).toHaveURL(/\/settings\/personal-access-tokens\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(t.name);
  const secret = await readNewToken(page);
  return { path: new URL(page.url()).pathname, secret };
}

export interface ClassicToken {
  note: string;
  expiration?: string;
  scopes?: string[];
}

/** Opens the new classic token form, fills it, generates the token and returns its page and secret. */
export async function createClassicToken(page: Page, t: ClassicToken): Promise<CreatedToken> {
  await page.goto(`${classicTokensPath}/new`);
  await page.getByRole('textbox', { name: 'Note', exact: true }).fill(t.note);
  if (t.expiration) await page.getByRole('combobox', { name: 'Expiration', exact: true }).selectOption({ label: t.expiration });
  for (const s of t.scopes ?? []) await page.getByRole('checkbox', { name: s, exact: true }).check();
  await page.getByRole('button', { name: 'Generate token', exact: true }).click();
  await expect(page, `classic token "${t.note}" should have been created`).toHaveURL(/\/settings\/tokens\/\d+$/);
  const secret = await readNewToken(page);
  return { path: new URL(page.url()).pathname, secret };
}

/**
 * Creates fine-grained tokens without the browser form, through the form's own POST
 * (with the page's CSRF token), for tests that need many. Returns the token pages.
 */
export async function createFineGrainedTokensQuickly(page: Page, tokens: FineGrainedToken[]): Promise<string[]> {
  await page.goto(`${devTokensPath}/new`);
  const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
  const out: string[] = [];
  for (const t of tokens) {
    const form: Record<string, string> = {
      _csrf: csrf,
      name: t.name,
      expiration: '30',
      description: t.description ?? '',
      resource_owner: t.owner ?? '@me',
      justification: t.justification ?? '',
      repository_selection: t.selection === REPO_ACCESS.all ? 'all' : t.selection === REPO_ACCESS.selected ? 'selected' : 'public',
    };
    const perms: Record<string, string> = {
      Contents: 'contents', Issues: 'issues', Metadata: 'metadata', 'Pull requests': 'pull_requests',
      Administration: 'administration', Members: 'members', 'Organization administration': 'organization_administration',
    };
    const levels: Record<PermissionLevel, string> = { 'No access': 'none', 'Read-only': 'read', 'Read and write': 'write' };
    for (const [p, l] of Object.entries(t.permissions ?? {})) form[`perm_${perms[p]}`] = levels[l];
    expect(t.repos ?? [], 'createFineGrainedTokensQuickly takes no repositories').toHaveLength(0);
    // As the browser would send it: the page's CSRF token (which is the
    // session's, whatever Sec-Fetch-Site says) and the browser's headers.
    const res = await page.request.post(devTokensPath, {
      form, maxRedirects: 0, headers: { 'Sec-Fetch-Site': 'same-origin', Origin: new URL(page.url()).origin },
    });
    expect(res.status(), `creating "${t.name}": ${(await res.text()).slice(0, 300)}`).toBe(303);
    out.push(new URL(res.headers()['location'], page.url()).pathname);
  }
  return out;
}

/** The list item of a token on the user's own token list (Developer settings). */
export function tokenListItem(page: Page, name: string): Locator {
  return page.getByRole('listitem').filter({ has: page.getByRole('link', { name, exact: true }) });
}

/** Expects the user's token list (current page) to show `name` with status `status`. */
export async function expectTokenStatus(page: Page, name: string, status: 'Active' | 'Pending' | 'Denied' | 'Revoked' | 'Expired' | `Blocked by ${string}'s policy`) {
  const item = tokenListItem(page, name);
  await expect(item).toHaveCount(1);
  // The status badge is its own element (its text runs into the expiry in textContent).
  await expect(item.getByText(status, { exact: true })).toBeVisible();
}

/** The row of the queue / active tokens table whose token link is `name`. */
export function grantRow(page: Page, name: string): Locator {
  return page.getByRole('table').getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
}

export interface GrantTableRow {
  name: string;
  owner: string;
  access: string;
  permissions: string;
  /** Justification (pending requests) or Last used (active tokens). */
  fifth: string;
  cells: string[];
}

/** Reads the Pending requests / Active tokens table of the current page (empty when the empty state shows). */
export async function readGrantTable(page: Page): Promise<GrantTableRow[]> {
  const table = page.getByRole('table');
  if ((await table.count()) === 0) return [];
  const headers = (await table.getByRole('columnheader').allInnerTexts()).map((s) => s.trim());
  const idx = (name: string) => {
    const i = headers.indexOf(name);
    expect(i, `column "${name}" (columns: ${JSON.stringify(headers)})`).toBeGreaterThanOrEqual(0);
    return i;
  };
  const [iName, iOwner, iAccess, iPerms] = [idx('Token'), idx('Owner'), idx('Repository access'), idx('Permissions')];
  const iFifth = headers.includes('Justification') ? idx('Justification') : idx('Last used');
  const out: GrantTableRow[] = [];
  for (const row of await table.getByRole('row').filter({ has: page.getByRole('cell') }).all()) {
    const cells = (await row.locator(':scope > th, :scope > td').allInnerTexts()).map((s) => s.trim());
    // The token's name is its link's; a label may follow it ("Blocked by …").
    const name = (await row.locator(':scope > th, :scope > td').nth(iName).getByRole('link').innerText()).trim();
    out.push({ name, owner: cells[iOwner], access: cells[iAccess], permissions: cells[iPerms], fifth: cells[iFifth], cells });
  }
  return out;
}

/** Names of the tokens listed in the current page's table, in order. */
export async function grantNames(page: Page): Promise<string[]> {
  return (await readGrantTable(page)).map((r) => r.name);
}

/** Sets the list filters (undefined: leave as is; '' : "Any …") and clicks "Filter". */
export async function filterGrants(page: Page, f: { owner?: string; repository?: string; permission?: string }) {
  if (f.owner !== undefined) await page.getByRole('combobox', { name: 'Owner', exact: true }).selectOption(f.owner);
  if (f.repository !== undefined) await page.getByRole('combobox', { name: 'Repository', exact: true }).selectOption(f.repository);
  if (f.permission !== undefined) await page.getByRole('combobox', { name: 'Permission', exact: true }).selectOption(f.permission);
  // Wait for the filtered page itself: the URL may already hold a query
  // (a second filter), and a new URL shows before its page has loaded.
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Filter', exact: true }).click()]);
  await expect(page).toHaveURL(/\?/);
}

/** The single role=status flash of the page. */
export function flash(page: Page): Locator {
  return page.getByRole('status');
}

/**
 * Runs `action` (a click that submits a form or follows a link) and returns the HTTP
 * status of the main-frame document it loads (the first response, before any redirect).
 */
export async function statusOf(page: Page, action: () => Promise<unknown>): Promise<number> {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().frame() === page.mainFrame()),
    action(),
  ]);
  return res.status();
}

/** Messages of the notifications page (current page must be /notifications). */
export async function readNotifications(page: Page): Promise<string[]> {
  await expect(page.getByRole('heading', { name: 'Notifications', exact: true, level: 1 })).toBeVisible();
  const list = page.getByRole('list', { name: 'Notifications', exact: true });
  if ((await list.count()) === 0) return [];
  return (await list.getByRole('listitem').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
}

/** Opens /notifications and marks them all as read (if any is unread); ends with the header saying none unread. */
export async function markAllNotificationsRead(page: Page) {
  await page.goto('/notifications');
  const button = page.getByRole('button', { name: 'Mark all as read', exact: true });
  if (await button.count()) await button.click();
  await expectUnread(page, 0);
}

/**
 * Extra browser contexts, each signed in as someone else (the owner next to mona),
 * for a spec on `server`'s server; they are closed after each test.
 */
export function signedInPages(server: { readonly baseURL: string }) {
  const contexts: BrowserContext[] = [];
  test.afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  return async function signedInPage(browser: Browser, login: string): Promise<Page> {
    const ctx = await browser.newContext({ baseURL: server.baseURL });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await signIn(page, login);
    return page;
  };
}

/**
 * Saves full-page screenshots of the page at 1280 and 390 px wide, as
 * e2e/.tmp/shots/{name}-{width}.png, for a person to look at; the page is
 * left at 1280 px.
 */
export async function screenshotsAt(page: Page, name: string) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: path.join(__dirname, '.tmp', 'shots', `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}
