-- Exercises every trigger of the PostgreSQL migrations, on a database that
-- has them all and no rows (pg_migrations_check.sh runs it). Each step runs
-- one statement and checks, right after it:
--   - which change counters moved: exactly those it names;
--   - grant_counts, unread_counts and issue_counts against counting the
--     rows themselves (a count row of 0 is as good as none; none below 0).
-- The helpers live in pg_temp, so they go with the session.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.counters() RETURNS bigint[] LANGUAGE sql AS $$
    SELECT ARRAY[directory, access, token_rows, sessions, issues] FROM change_counters WHERE id = 1
$$;

-- What the kept counts get wrong, or NULL.
CREATE FUNCTION pg_temp.counts_wrong() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(what, '; ') FROM (
        SELECT format('grant_counts(%s, %s) = %s, want %s', org_id, status, c.n, coalesce(a.n, 0)) AS what
          FROM (SELECT org_id, status, count(*) AS n FROM grants GROUP BY 1, 2) AS a
          FULL JOIN grant_counts AS c USING (org_id, status)
         WHERE coalesce(a.n, 0) <> coalesce(c.n, 0) OR c.n < 0
        UNION ALL
        SELECT format('unread_counts(%s) = %s, want %s', user_id, c.n, coalesce(a.n, 0))
          FROM (SELECT user_id, count(*) AS n FROM notifications WHERE read_at IS NULL GROUP BY 1) AS a
          FULL JOIN unread_counts AS c USING (user_id)
         WHERE coalesce(a.n, 0) <> coalesce(c.n, 0) OR c.n < 0
        UNION ALL
        SELECT format('issue_counts(%s) = %s, want %s', repo_id, c.n, coalesce(a.n, 0))
          FROM (SELECT repo_id, count(*) AS n FROM issues GROUP BY 1) AS a
          FULL JOIN issue_counts AS c USING (repo_id)
         WHERE coalesce(a.n, 0) <> coalesce(c.n, 0) OR c.n < 0
    ) AS wrong
$$;

-- step runs stmt, which must change n rows (NULL: any number), and checks
-- that exactly the counters in moves moved, and the counts.
CREATE FUNCTION pg_temp.step(label text, stmt text, n bigint, VARIADIC moves text[] DEFAULT '{}') RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    names CONSTANT text[] := ARRAY['directory', 'access', 'token_rows', 'sessions', 'issues'];
    before bigint[] := pg_temp.counters();
    after bigint[];
    changed bigint;
    wrong text;
BEGIN
    EXECUTE stmt;
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF n IS NOT NULL AND changed <> n THEN
        RAISE EXCEPTION '%: % rows changed, want %', label, changed, n;
    END IF;
    after := pg_temp.counters();
    FOR i IN 1 .. array_length(names, 1) LOOP
        IF (after[i] <> before[i]) <> (names[i] = ANY (moves)) THEN
            RAISE EXCEPTION '%: counter % went from % to %, want it %', label, names[i], before[i], after[i],
                CASE WHEN names[i] = ANY (moves) THEN 'moved' ELSE 'where it was' END;
        END IF;
    END LOOP;
    wrong := pg_temp.counts_wrong();
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION '%: %', label, wrong;
    END IF;
END
$$;

-- fails checks that stmt fails with the SQLSTATE state, and undoes it.
CREATE FUNCTION pg_temp.fails(label text, stmt text, state text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE stmt;
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE <> state THEN
            RAISE EXCEPTION '%: failed with % (%), want %', label, SQLSTATE, SQLERRM, state;
        END IF;
        RETURN;
    END;
    RAISE EXCEPTION '%: did not fail, want %', label, state;
END
$$;

CREATE FUNCTION pg_temp.expect(label text, got anyelement, want anyelement) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF got IS DISTINCT FROM want THEN
        RAISE EXCEPTION '%: got %, want %', label, got, want;
    END IF;
END
$$;

-- Ids by name, so that the steps read without numbers.
CREATE FUNCTION pg_temp.u(login citext) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM users WHERE login = $1 $$;
CREATE FUNCTION pg_temp.o(login citext) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM organizations WHERE login = $1 $$;
CREATE FUNCTION pg_temp.r(name citext) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM repositories WHERE name = $1 $$;
CREATE FUNCTION pg_temp.t(name text) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM tokens WHERE name = $1 $$;
CREATE FUNCTION pg_temp.sid(c text) RETURNS bytea LANGUAGE sql AS $$ SELECT sha256(convert_to($1, 'UTF8')) $$;

SELECT pg_temp.expect('change_counters at the start', (SELECT pg_temp.counters()), ARRAY[0, 0, 0, 0, 0]::bigint[]);

-- The directory: users, enterprises and their owners, organizations,
-- memberships, repositories.
SELECT pg_temp.step('users added', $$INSERT INTO users (login, email, password_hash, created_at) VALUES
    ('alice', 'alice@example.com', 'h', '2026-01-01T00:00:00Z'),
    ('bob', 'bob@example.com', 'h', '2026-01-01T00:00:00Z'),
    ('carol', 'carol@example.com', 'h', '2026-01-01T00:00:00Z'),
    ('dave', 'dave@example.com', 'h', '2026-01-01T00:00:00Z')$$, 4, 'directory');
SELECT pg_temp.expect('ids come from the identity column', (SELECT array_agg(id ORDER BY id) FROM users), ARRAY[1, 2, 3, 4]::bigint[]);
SELECT pg_temp.fails('a login taken in another case', $$INSERT INTO users (login, email, password_hash, created_at)
    VALUES ('ALICE', 'other@example.com', 'h', 'x')$$, '23505');
SELECT pg_temp.fails('an email taken in another case', $$INSERT INTO users (login, email, password_hash, created_at)
    VALUES ('alice2', 'Alice@Example.COM', 'h', 'x')$$, '23505');
SELECT pg_temp.expect('a login found in another case', pg_temp.u('ALICE'), pg_temp.u('alice'));
-- A citext column compares case-insensitively with a citext value or an
-- untyped one (a literal; a query parameter, which takes the column's
-- type), but as text, case-sensitively, with a value typed text.
SELECT pg_temp.expect('a literal in another case', (SELECT count(*) FROM users WHERE login = 'ALICE'), 1::bigint);
SELECT pg_temp.expect('a text value in another case', (SELECT count(*) FROM users WHERE login = 'ALICE'::text), 0::bigint);
SELECT pg_temp.expect('only ASCII letters fold', (SELECT 'É'::citext = 'é'::citext), false);
SELECT pg_temp.expect('text compares bytes', (SELECT 'B'::text < 'a'::text), true);
SELECT pg_temp.step('a user renamed', $$UPDATE users SET name = 'Alice' WHERE login = 'Alice'$$, 1, 'directory');
SELECT pg_temp.step('no user renamed', $$UPDATE users SET name = 'Nobody' WHERE login = 'nobody'$$, 0);
SELECT pg_temp.step('no user deleted', $$DELETE FROM users WHERE login = 'nobody'$$, 0);
SELECT pg_temp.step('no user added', $$INSERT INTO users (login, email, password_hash, created_at)
    SELECT 'x', 'x', 'x', 'x' WHERE false$$, 0);
SELECT pg_temp.step('a user added or nothing', $$INSERT INTO users (login, email, password_hash, created_at)
    VALUES ('alice', 'a@example.com', 'h', 'x') ON CONFLICT (login) DO NOTHING$$, 0);

SELECT pg_temp.step('an enterprise added', $$INSERT INTO enterprises (slug, name, opted_in, created_at)
    VALUES ('octo-ent', 'Octo', 1, 'x')$$, 1, 'directory');
SELECT pg_temp.step('an enterprise renamed', $$UPDATE enterprises SET name = 'Octo Enterprise'$$, 1, 'directory');
SELECT pg_temp.step('an enterprise owner added', $$INSERT INTO enterprise_owners VALUES
    ((SELECT id FROM enterprises), pg_temp.u('dave'))$$, 1, 'directory');
SELECT pg_temp.step('an enterprise owner moved', $$UPDATE enterprise_owners SET user_id = pg_temp.u('carol')$$, 1, 'directory');
SELECT pg_temp.step('an enterprise owner removed', $$DELETE FROM enterprise_owners$$, 1, 'directory');
SELECT pg_temp.step('no enterprise owner removed', $$DELETE FROM enterprise_owners$$, 0);
SELECT pg_temp.step('an enterprise policy added', $$INSERT INTO enterprise_policies
    (enterprise_id, fine_grained_access, approval, classic_access, updated_at)
    VALUES ((SELECT id FROM enterprises), 'no_policy', 'no_policy', 'no_policy', 'x')$$, 1, 'access');
SELECT pg_temp.step('an enterprise policy changed', $$UPDATE enterprise_policies SET classic_max_days = 30$$, 1, 'access');
SELECT pg_temp.fails('a lifetime past a year', $$UPDATE enterprise_policies SET classic_max_days = 367$$, '23514');
SELECT pg_temp.step('an enterprise policy removed', $$DELETE FROM enterprise_policies$$, 1, 'access');

SELECT pg_temp.step('organizations added', $$INSERT INTO organizations (login, name, enterprise_id, created_at) VALUES
    ('octo-org', 'Octo', (SELECT id FROM enterprises), 'x'), ('solo-org', 'Solo', NULL, 'x')$$, 2, 'directory');
SELECT pg_temp.step('an organization opted in', $$UPDATE organizations SET opted_in = 1 WHERE login = 'octo-org' AND opted_in = 0$$, 1, 'directory');
SELECT pg_temp.step('an organization opted in again', $$UPDATE organizations SET opted_in = 1 WHERE login = 'octo-org' AND opted_in = 0$$, 0);
SELECT pg_temp.step('members added', $$INSERT INTO memberships VALUES
    (pg_temp.o('octo-org'), pg_temp.u('alice'), 'owner'), (pg_temp.o('octo-org'), pg_temp.u('bob'), 'member'),
    (pg_temp.o('solo-org'), pg_temp.u('alice'), 'owner'), (pg_temp.o('octo-org'), pg_temp.u('carol'), 'member')$$, 4, 'directory');
SELECT pg_temp.fails('a role of no kind', $$INSERT INTO memberships VALUES (pg_temp.o('solo-org'), pg_temp.u('bob'), 'admin')$$, '23514');
SELECT pg_temp.step('a member promoted', $$UPDATE memberships SET role = 'owner' WHERE user_id = pg_temp.u('bob')$$, 1, 'directory');
SELECT pg_temp.step('a member removed', $$DELETE FROM memberships WHERE user_id = pg_temp.u('carol')$$, 1, 'directory');
SELECT pg_temp.step('repositories added', $$INSERT INTO repositories (org_id, name, private, created_at) VALUES
    (pg_temp.o('octo-org'), 'api', 1, 'x'), (pg_temp.o('octo-org'), 'web', 0, 'x'), (pg_temp.o('solo-org'), 'tools', 1, 'x')$$,
    3, 'directory');
SELECT pg_temp.fails('a repository name taken in another case', $$INSERT INTO repositories (org_id, name, private, created_at)
    VALUES (pg_temp.o('octo-org'), 'API', 1, 'x')$$, '23505');
SELECT pg_temp.step('a repository made public', $$UPDATE repositories SET private = 0 WHERE name = 'API'$$, 1, 'directory');
SELECT pg_temp.step('organization policies added', $$INSERT INTO org_policies
    (org_id, fine_grained_access, approval, classic_access, updated_at)
    SELECT id, 'allow', 'required', 'allow', 'x' FROM organizations$$, 2, 'access');
SELECT pg_temp.step('a policy saved', $$UPDATE org_policies SET classic_access = 'restrict', version = version + 1
    WHERE org_id = pg_temp.o('octo-org') AND version = 1$$, 1, 'access');
SELECT pg_temp.step('a stale policy not saved', $$UPDATE org_policies SET classic_access = 'allow', version = version + 1
    WHERE org_id = pg_temp.o('octo-org') AND version = 1$$, 0);

-- Tokens: a new one is access; its own row (but its last use), its
-- permissions and repositories, a deleted one are token_rows.
SELECT pg_temp.step('tokens added', $$INSERT INTO tokens
    (user_id, kind, name, hash, prefix, org_id, repository_selection, expires_at, created_at) VALUES
    (pg_temp.u('alice'), 'fine_grained', 'deploy', '\x01', 'github_pat_1', pg_temp.o('octo-org'), 'selected', '2027-01-01T00:00:00Z', 'x'),
    (pg_temp.u('bob'), 'fine_grained', 'ci', '\x02', 'github_pat_2', pg_temp.o('octo-org'), 'all', NULL, 'x'),
    (pg_temp.u('bob'), 'fine_grained', 'docs', '\x03', 'github_pat_3', pg_temp.o('octo-org'), 'public', NULL, 'x'),
    (pg_temp.u('alice'), 'fine_grained', 'solo', '\x04', 'github_pat_4', pg_temp.o('solo-org'), 'all', NULL, 'x'),
    (pg_temp.u('carol'), 'classic', 'laptop', '\x05', 'ghp_5', NULL, '', NULL, 'x')$$, 5, 'access');
SELECT pg_temp.step('a fine-grained name taken: nothing added', $$INSERT INTO tokens
    (user_id, kind, name, hash, prefix, org_id, created_at)
    VALUES (pg_temp.u('alice'), 'fine_grained', 'deploy', '\x06', 'p', NULL, 'x')
    ON CONFLICT (user_id, name) WHERE kind = 'fine_grained' DO NOTHING$$, 0);
SELECT pg_temp.step('a classic note may repeat', $$INSERT INTO tokens
    (user_id, kind, name, hash, prefix, created_at) VALUES (pg_temp.u('carol'), 'classic', 'laptop', '\x07', 'p', 'x')$$, 1, 'access');
SELECT pg_temp.fails('a hash taken', $$INSERT INTO tokens (user_id, kind, name, hash, prefix, created_at)
    VALUES (pg_temp.u('carol'), 'classic', 'other', '\x01', 'p', 'x')$$, '23505');
SELECT pg_temp.step('a token used', $$UPDATE tokens SET last_used_at = '2026-02-01T00:00:00Z'
    WHERE id = pg_temp.t('deploy') AND (last_used_at IS NULL OR last_used_at < '2026-02-01T00:00:00Z')$$, 1);
SELECT pg_temp.step('every token used', $$UPDATE tokens SET last_used_at = '2026-02-02T00:00:00Z'$$, 6);
SELECT pg_temp.step('a token renamed', $$UPDATE tokens SET name = 'deploy2' WHERE name = 'deploy'$$, 1, 'token_rows');
SELECT pg_temp.step('a token renamed back and used', $$UPDATE tokens SET name = 'deploy', last_used_at = 'y'
    WHERE name = 'deploy2'$$, 1, 'token_rows');
SELECT pg_temp.step('a token expired', $$UPDATE tokens SET expires_at = '2026-01-02T00:00:00Z' WHERE name = 'ci'$$, 1, 'token_rows');
SELECT pg_temp.step('a token never to expire', $$UPDATE tokens SET expires_at = NULL WHERE name = 'ci'$$, 1, 'token_rows');
SELECT pg_temp.step('a hash changed', $$UPDATE tokens SET hash = '\x08' WHERE name = 'docs'$$, 1, 'token_rows');
-- Setting columns to what they hold changes no token (SQLite's trigger,
-- which names the columns, would count it; no cache can tell).
SELECT pg_temp.step('a token set to itself', $$UPDATE tokens SET name = name, scopes = scopes$$, 6);
SELECT pg_temp.step('no token renamed', $$UPDATE tokens SET name = 'x' WHERE false$$, 0);
-- A token replaced whole: PostgreSQL's way is an upsert, whose update is
-- counted (the insert adds no row, so new tokens do not move).
SELECT pg_temp.step('a token replaced', $$INSERT INTO tokens (id, user_id, kind, name, hash, prefix, created_at, expires_at)
    SELECT id, user_id, kind, name, hash, prefix, created_at, '2026-01-03T00:00:00Z' FROM tokens WHERE name = 'solo'
    ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at$$, 1, 'token_rows');
SELECT pg_temp.step('a token id changed', $$UPDATE tokens SET id = 1000 WHERE name = 'solo'$$, 1, 'token_rows');
SELECT pg_temp.step('permissions added', $$INSERT INTO token_permissions VALUES
    (pg_temp.t('deploy'), 'contents', 'read'), (pg_temp.t('deploy'), 'issues', 'write'), (pg_temp.t('ci'), 'metadata', 'read')$$,
    3, 'token_rows');
SELECT pg_temp.fails('a level of no kind', $$INSERT INTO token_permissions VALUES (pg_temp.t('ci'), 'issues', 'admin')$$, '23514');
SELECT pg_temp.step('a permission raised', $$UPDATE token_permissions SET level = 'write' WHERE name = 'contents'$$, 1, 'token_rows');
SELECT pg_temp.step('a permission removed', $$DELETE FROM token_permissions WHERE name = 'metadata'$$, 1, 'token_rows');
SELECT pg_temp.step('no permission removed', $$DELETE FROM token_permissions WHERE name = 'metadata'$$, 0);
SELECT pg_temp.step('repositories selected', $$INSERT INTO token_repositories VALUES
    (pg_temp.t('deploy'), pg_temp.r('api')), (pg_temp.t('deploy'), pg_temp.r('web'))$$, 2, 'token_rows');
SELECT pg_temp.step('a selected repository changed', $$UPDATE token_repositories SET repo_id = pg_temp.r('tools')
    WHERE repo_id = pg_temp.r('web')$$, 1, 'token_rows');
SELECT pg_temp.step('a selected repository removed', $$DELETE FROM token_repositories WHERE repo_id = pg_temp.r('tools')$$, 1, 'token_rows');

-- Grants are access, and kept counted per organization and status.
SELECT pg_temp.step('grants added', $$INSERT INTO grants (token_id, org_id, user_id, status, created_at)
    SELECT id, org_id, user_id, 'pending', 'x' FROM tokens WHERE org_id IS NOT NULL$$, 4, 'access');
SELECT pg_temp.fails('a status of no kind', $$UPDATE grants SET status = 'lost'$$, '23514');
SELECT pg_temp.step('one grant approved', $$UPDATE grants SET status = 'approved', reviewer_id = pg_temp.u('alice')
    WHERE token_id = pg_temp.t('deploy')$$, 1, 'access');
SELECT pg_temp.step('every pending grant approved', $$UPDATE grants SET status = 'approved', decided_at = 'x'
    WHERE org_id = pg_temp.o('octo-org') AND status = 'pending'$$, 2, 'access');
SELECT pg_temp.step('no pending grant left to approve', $$UPDATE grants SET status = 'approved'
    WHERE org_id = pg_temp.o('octo-org') AND status = 'pending'$$, 0);
SELECT pg_temp.expect('approved grants counted', (SELECT n FROM grant_counts
    WHERE org_id = pg_temp.o('octo-org') AND status = 'approved'), 3::bigint);
SELECT pg_temp.step('a reason given: no count moves', $$UPDATE grants SET reason = 'because'$$, 4, 'access');
SELECT pg_temp.step('statuses swapped', $$UPDATE grants SET status = CASE status WHEN 'approved' THEN 'denied' ELSE 'approved' END$$,
    4, 'access');
SELECT pg_temp.step('a grant moved to another organization and status', $$UPDATE grants SET org_id = pg_temp.o('solo-org'), status = 'revoked'
    WHERE token_id = pg_temp.t('ci')$$, 1, 'access');
SELECT pg_temp.step('a grant revoked', $$UPDATE grants SET status = 'revoked' WHERE token_id = pg_temp.t('docs')$$, 1, 'access');
SELECT pg_temp.step('grant keys: not cached', $$INSERT INTO grant_keys
    SELECT org_id, status, 'u:' || user_id, id FROM grants$$, 4);
SELECT pg_temp.step('a grant deleted', $$DELETE FROM grants WHERE token_id = pg_temp.t('docs')$$, 1, 'access');
SELECT pg_temp.step('no grant deleted', $$DELETE FROM grants WHERE token_id = pg_temp.t('docs')$$, 0);
SELECT pg_temp.step('a grant withdrawn: not cached', $$INSERT INTO withdrawn_grants (grant_id, org_id, name, owner_login, status, withdrawn_at)
    VALUES (99, pg_temp.o('octo-org'), 'docs', 'bob', 'pending', 'x')$$, 1);
SELECT pg_temp.step('a count repaired by hand', $$UPDATE grant_counts SET n = n$$, NULL, 'access');
SELECT pg_temp.step('a count row added by hand', $$INSERT INTO grant_counts VALUES (0, 'pending', 0)
    ON CONFLICT DO NOTHING$$, NULL, 'access');
SELECT pg_temp.step('count rows of nothing removed by hand', $$DELETE FROM grant_counts WHERE n = 0$$, NULL, 'access');

-- Notifications are access, and kept counted per user while unread.
SELECT pg_temp.step('notifications sent', $$INSERT INTO notifications (user_id, message, created_at, read_at) VALUES
    (pg_temp.u('alice'), 'a1', 'x', NULL), (pg_temp.u('alice'), 'a2', 'x', NULL), (pg_temp.u('alice'), 'a3', 'x', NULL),
    (pg_temp.u('bob'), 'b1', 'x', 'read'), (pg_temp.u('bob'), 'b2', 'x', NULL)$$, 5, 'access');
SELECT pg_temp.step('notifications read up to one', $$UPDATE notifications SET read_at = 'y'
    WHERE user_id = pg_temp.u('alice') AND read_at IS NULL AND message <= 'a2'$$, 2, 'access');
SELECT pg_temp.step('nothing left to read', $$UPDATE notifications SET read_at = 'y'
    WHERE user_id = pg_temp.u('bob') AND read_at IS NULL AND message = 'b1'$$, 0);
SELECT pg_temp.step('a notification unread again', $$UPDATE notifications SET read_at = NULL WHERE message = 'a1'$$, 1, 'access');
SELECT pg_temp.step('a read notification read again', $$UPDATE notifications SET read_at = 'z' WHERE message = 'b1'$$, 1, 'access');
SELECT pg_temp.step('notifications moved to another user', $$UPDATE notifications SET user_id = pg_temp.u('carol')
    WHERE message IN ('a1', 'a2', 'b1')$$, 3, 'access');
SELECT pg_temp.step('a notification reworded', $$UPDATE notifications SET message = 'a3!' WHERE message = 'a3'$$, 1, 'access');
SELECT pg_temp.step('a notification deleted', $$DELETE FROM notifications WHERE message = 'a3!'$$, 1, 'access');
SELECT pg_temp.step('a read notification deleted', $$DELETE FROM notifications WHERE message = 'a2'$$, 1, 'access');
SELECT pg_temp.step('an unread count repaired by hand', $$UPDATE unread_counts SET n = n$$, NULL, 'access');

-- Sessions: started, ended, moved to another user or cut short count; a
-- touch moving last_seen_at and expires_at forward does not.
SELECT pg_temp.step('sessions started', $$INSERT INTO sessions VALUES
    (pg_temp.sid('one'), pg_temp.u('alice'), '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z'),
    (pg_temp.sid('two'), pg_temp.u('bob'), '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-08T00:00:00Z'),
    (pg_temp.sid('three'), pg_temp.u('bob'), '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')$$,
    3, 'sessions');
SELECT pg_temp.fails('a session id of 31 bytes', $$INSERT INTO sessions VALUES
    (substring(pg_temp.sid('four') FROM 2), pg_temp.u('bob'), 'x', 'x', 'x')$$, '23514');
SELECT pg_temp.step('a session touched', $$UPDATE sessions SET last_seen_at = '2026-01-02T00:00:00Z', expires_at = '2026-01-09T00:00:00Z'
    WHERE id = pg_temp.sid('one') AND expires_at > '2026-01-02T00:00:00Z'$$, 1);
SELECT pg_temp.step('a session touched, its expiry kept', $$UPDATE sessions SET last_seen_at = '2026-01-03T00:00:00Z'
    WHERE id = pg_temp.sid('one')$$, 1);
SELECT pg_temp.step('a session cut short', $$UPDATE sessions SET expires_at = '2026-01-01T12:00:00Z' WHERE id = pg_temp.sid('one')$$,
    1, 'sessions');
SELECT pg_temp.step('a session touched and another cut short', $$UPDATE sessions SET
    expires_at = CASE WHEN id = pg_temp.sid('two') THEN '2026-01-10T00:00:00Z' ELSE '2026-01-01T06:00:00Z' END
    WHERE id IN (pg_temp.sid('two'), pg_temp.sid('three'))$$, 2, 'sessions');
SELECT pg_temp.step('a session moved to another user', $$UPDATE sessions SET user_id = pg_temp.u('carol') WHERE id = pg_temp.sid('two')$$,
    1, 'sessions');
SELECT pg_temp.step('a session restarted', $$UPDATE sessions SET created_at = '2026-01-05T00:00:00Z' WHERE id = pg_temp.sid('two')$$,
    1, 'sessions');
SELECT pg_temp.step('a session id replaced', $$UPDATE sessions SET id = pg_temp.sid('five') WHERE id = pg_temp.sid('two')$$,
    1, 'sessions');
SELECT pg_temp.step('expired sessions pruned', $$DELETE FROM sessions WHERE id IN
    (SELECT id FROM sessions WHERE expires_at <= '2026-01-02T00:00:00Z' LIMIT 100)$$, 2, 'sessions');
SELECT pg_temp.step('no expired session to prune', $$DELETE FROM sessions WHERE id IN
    (SELECT id FROM sessions WHERE expires_at <= '2026-01-02T00:00:00Z' LIMIT 100)$$, 0);
SELECT pg_temp.step('no session touched', $$UPDATE sessions SET last_seen_at = 'z' WHERE id = pg_temp.sid('gone')$$, 0);

-- Issues: kept counted per repository, with a counter of their own.
SELECT pg_temp.step('issues created', $$INSERT INTO issues (repo_id, number, title, user_id, token_id, created_at) VALUES
    (pg_temp.r('api'), 1, 'one', pg_temp.u('alice'), pg_temp.t('deploy'), 'x'),
    (pg_temp.r('api'), 2, 'two', pg_temp.u('alice'), NULL, 'x'),
    (pg_temp.r('web'), 1, 'three', pg_temp.u('bob'), pg_temp.t('deploy'), 'x')$$, 3, 'issues');
SELECT pg_temp.step('the next number', $$INSERT INTO issues (repo_id, number, title, user_id, created_at)
    VALUES (pg_temp.r('api'), COALESCE((SELECT max(number) FROM issues WHERE repo_id = pg_temp.r('api')), 0) + 1, 'four', pg_temp.u('bob'), 'x')$$,
    1, 'issues');
SELECT pg_temp.fails('a number taken', $$INSERT INTO issues (repo_id, number, title, user_id, created_at)
    VALUES (pg_temp.r('api'), 1, 'dup', pg_temp.u('bob'), 'x')$$, '23505');
SELECT pg_temp.step('an issue retitled', $$UPDATE issues SET title = 'One' WHERE title = 'one'$$, 1);
SELECT pg_temp.step('an issue moved to another repository', $$UPDATE issues SET repo_id = pg_temp.r('tools'), number = 1
    WHERE title = 'two'$$, 1, 'issues');
SELECT pg_temp.step('issues swapped between repositories', $$UPDATE issues SET repo_id = CASE repo_id
    WHEN pg_temp.r('api') THEN pg_temp.r('web') ELSE pg_temp.r('api') END, number = number + 10
    WHERE title IN ('One', 'three')$$, 2, 'issues');
SELECT pg_temp.step('an issue deleted', $$DELETE FROM issues WHERE title = 'four'$$, 1, 'issues');
SELECT pg_temp.step('no issue deleted', $$DELETE FROM issues WHERE title = 'four'$$, 0);
SELECT pg_temp.step('an issue count repaired by hand', $$UPDATE issue_counts SET n = n$$, NULL, 'issues');
SELECT pg_temp.step('labels: not cached', $$INSERT INTO labels (repo_id, name, color) VALUES (pg_temp.r('api'), 'bug', 'f00')$$, 1);
SELECT pg_temp.fails('a label name taken in another case', $$INSERT INTO labels (repo_id, name, color)
    VALUES (pg_temp.r('api'), 'BUG', '0f0')$$, '23505');
SELECT pg_temp.step('an issue labelled and assigned: not cached', $$WITH l AS (
        INSERT INTO issue_labels SELECT i.id, l.id FROM issues i, labels l WHERE i.title = 'One' RETURNING 1)
    INSERT INTO issue_assignees SELECT id, pg_temp.u('bob') FROM issues WHERE title = 'One'$$, 1);
SELECT pg_temp.step('an SSH key added: not cached', $$INSERT INTO ssh_keys (user_id, title, key, token_id, created_at)
    VALUES (pg_temp.u('alice'), 'laptop', 'ssh-ed25519 AAAA', pg_temp.t('deploy'), 'x') ON CONFLICT (key) DO NOTHING$$, 1);
SELECT pg_temp.step('an audit event: not cached', $$INSERT INTO audit_events (org_id, actor_id, action, created_at)
    VALUES (pg_temp.o('octo-org'), pg_temp.u('alice'), 'org.policy', 'x')$$, 1);
SELECT pg_temp.step('a setting: not cached', $$INSERT INTO app_settings VALUES ('k', 'v')
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value$$, 1);

-- Cascades count as the rows they change.
SELECT pg_temp.step('a token deleted, with its grant, permissions and repositories', $$DELETE FROM tokens WHERE name = 'deploy'$$,
    1, 'token_rows', 'access');
SELECT pg_temp.expect('its issues stay', (SELECT count(*) FROM issues WHERE token_id IS NULL), 3::bigint);
SELECT pg_temp.expect('its SSH keys stay', (SELECT count(*) FROM ssh_keys WHERE token_id IS NULL), 1::bigint);
SELECT pg_temp.step('a repository deleted, with its issues', $$DELETE FROM repositories WHERE name = 'web'$$,
    1, 'directory', 'issues');
SELECT pg_temp.step('a user deleted, with tokens, grants, notifications and sessions', $$DELETE FROM users WHERE login = 'carol'$$,
    1, 'directory', 'access', 'token_rows', 'sessions');
SELECT pg_temp.expect('a deleted user has no unread count', (SELECT count(*) FROM unread_counts WHERE user_id = 3), 0::bigint);
SELECT pg_temp.step('an organization deleted, with everything in it', $$DELETE FROM organizations WHERE login = 'solo-org'$$,
    1, 'directory', 'access', 'token_rows', 'issues');

-- A large load: a statement's 100,000 rows move a counter once (a row
-- trigger would rewrite the counter row 100,000 times in one transaction).
CREATE TEMP TABLE mark (c bigint[]);
CREATE FUNCTION pg_temp.since_mark(i int) RETURNS bigint LANGUAGE sql AS $$
    SELECT (pg_temp.counters())[i] - (SELECT c[i] FROM mark)
$$;
INSERT INTO mark SELECT pg_temp.counters();
SELECT pg_temp.step('100,000 tokens', $$INSERT INTO tokens (user_id, kind, name, hash, prefix, org_id, repository_selection, created_at)
    SELECT pg_temp.u('bob'), 'fine_grained', 'bulk' || i, sha256(int8send(i)), 'p', pg_temp.o('octo-org'), 'all', 'x'
    FROM generate_series(1, 100000) AS i$$, 100000, 'access');
SELECT pg_temp.expect('100,000 tokens bump access once', pg_temp.since_mark(2), 1::bigint);
UPDATE mark SET c = pg_temp.counters();
SELECT pg_temp.step('their 100,000 grants', $$INSERT INTO grants (token_id, org_id, user_id, status, created_at)
    SELECT id, org_id, user_id, (ARRAY['pending', 'approved', 'denied', 'revoked'])[1 + id % 4], 'x'
    FROM tokens WHERE name LIKE 'bulk%'$$, 100000, 'access');
-- grants, then grant_counts' inserted and updated rows
SELECT pg_temp.expect('100,000 grants bump access at most three times', pg_temp.since_mark(2) <= 3, true);
SELECT pg_temp.step('all pending approved', $$UPDATE grants SET status = 'approved' WHERE status = 'pending'$$, NULL, 'access');
SELECT pg_temp.step('100,000 tokens deleted', $$DELETE FROM tokens WHERE name LIKE 'bulk%'$$, 100000, 'access', 'token_rows');
SELECT pg_temp.step('100,000 notifications', $$INSERT INTO notifications (user_id, message, created_at, read_at)
    SELECT pg_temp.u('alice'), 'n' || i, 'x', CASE WHEN i % 3 = 0 THEN 'r' END FROM generate_series(1, 100000) AS i$$, 100000, 'access');
SELECT pg_temp.step('all read', $$UPDATE notifications SET read_at = 'r' WHERE read_at IS NULL$$, NULL, 'access');
SELECT pg_temp.expect('nothing unread', (SELECT sum(n) FROM unread_counts), 0::numeric);

-- What the scale load does to load faster, in PostgreSQL's words: drop the
-- bulk tables' own indexes (not those of their PRIMARY KEY and UNIQUE
-- constraints) and recreate them from their definitions.
CREATE TEMP TABLE set_aside AS
    SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     WHERE t.relnamespace = current_schema()::regnamespace
       AND t.relname IN ('tokens', 'token_repositories', 'grants', 'grant_keys', 'audit_events', 'notifications')
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid);
-- 15 until the governance migrations, which index tokens four times more
-- (expiry, last use per organization, classic ones, organization and id).
SELECT pg_temp.expect('indexes set aside', (SELECT count(*) FROM set_aside), 19::bigint);
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM set_aside LOOP
        EXECUTE format('DROP INDEX %I', r.name);
    END LOOP;
    FOR r IN SELECT * FROM set_aside LOOP
        EXECUTE r.def;
    END LOOP;
END
$$;
SELECT pg_temp.expect('indexes back as they were', (SELECT count(*) FROM (
    SELECT name, def FROM set_aside
    EXCEPT SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_class i WHERE i.relkind = 'i') AS missing), 0::bigint);

-- And its triggers, by name: SQLite's tokens_changes_replace has no
-- counterpart here (nothing to set aside); any other comes back whole.
CREATE TEMP TABLE triggers_aside AS
    SELECT g.tgname AS name, c.relname AS tab, pg_get_triggerdef(g.oid) AS def
      FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal
       AND g.tgname IN ('tokens_changes_replace', 'grants_count_insert', 'tokens_changes_update');
SELECT pg_temp.expect('triggers set aside', (SELECT string_agg(name, ' ' ORDER BY name) FROM triggers_aside),
    'grants_count_insert tokens_changes_update');
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM triggers_aside LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', r.name, r.tab);
    END LOOP;
    FOR r IN SELECT * FROM triggers_aside LOOP
        EXECUTE r.def;
    END LOOP;
END
$$;
SELECT pg_temp.expect('triggers back as they were', (SELECT count(*) FROM (
    SELECT name, def FROM triggers_aside
    EXCEPT SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger) AS missing), 0::bigint);
SELECT pg_temp.step('a grant after the triggers came back', $$INSERT INTO grants (token_id, org_id, user_id, status, created_at)
    SELECT id, org_id, user_id, 'pending', 'x' FROM tokens WHERE name = 'laptop' AND org_id IS NULL LIMIT 0$$, 0);

-- TRUNCATE fires no delete trigger: a trigger of its own counts it (always)
-- and sets the counts it empties to 0.
SELECT pg_temp.step('unread notifications again', $$INSERT INTO notifications (user_id, message, created_at)
    SELECT id, 'again', 'x' FROM users$$, NULL, 'access');
SELECT pg_temp.step('issues again', $$INSERT INTO issues (repo_id, number, title, user_id, created_at)
    SELECT id, 100, 'again', 1, 'x' FROM repositories$$, NULL, 'issues');
SELECT pg_temp.step('sessions truncated', $$TRUNCATE sessions$$, NULL, 'sessions');
SELECT pg_temp.step('notifications truncated', $$TRUNCATE notifications$$, NULL, 'access');
SELECT pg_temp.step('issues truncated', $$TRUNCATE issues CASCADE$$, NULL, 'issues');
SELECT pg_temp.step('grant counts truncated', $$TRUNCATE grant_counts$$, NULL, 'access');
SELECT pg_temp.step('grants again', $$INSERT INTO grants (token_id, org_id, user_id, status, created_at)
    SELECT id, pg_temp.o('octo-org'), user_id, 'pending', 'x' FROM tokens$$, NULL, 'access');
SELECT pg_temp.step('tokens truncated, with their grants and issues', $$TRUNCATE tokens CASCADE$$, NULL, 'access', 'token_rows', 'issues');
SELECT pg_temp.step('users truncated, with everything', $$TRUNCATE users CASCADE$$, NULL,
    'directory', 'access', 'token_rows', 'sessions', 'issues');
