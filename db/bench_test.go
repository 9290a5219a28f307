package db

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"patpolicy/policy"
)

// BenchmarkOrgPolicy loads an organization's policy with its enterprise's,
// as every settings page and every token check does.
func BenchmarkOrgPolicy(b *testing.B) {
	d := seededTest(b)
	ctx := context.Background()
	org := d.orgs["octo-org"]
	b.ReportAllocs()
	for b.Loop() {
		p, err := d.s.OrgPolicy(ctx, org)
		if err != nil {
			b.Fatal(err)
		}
		if p.Enterprise == nil {
			b.Fatal("no enterprise loaded")
		}
	}
}

// BenchmarkOrgPolicyParallel is BenchmarkOrgPolicy from GOMAXPROCS
// goroutines, through the read pool.
func BenchmarkOrgPolicyParallel(b *testing.B) {
	d := seededTest(b)
	ctx := context.Background()
	org := d.orgs["octo-org"]
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := d.s.OrgPolicy(ctx, org); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSaveOrgPolicy saves a one-setting change with its audit event
// (one write transaction, synchronous=NORMAL in WAL mode).
func BenchmarkSaveOrgPolicy(b *testing.B) {
	d := seededTest(b)
	ctx := context.Background()
	org, actor := d.orgs["octo-org"], d.users["octo-owner"]
	p, err := d.s.OrgPolicy(ctx, org)
	if err != nil {
		b.Fatal(err)
	}
	cur, version := p.Own, p.Version
	b.ReportAllocs()
	for b.Loop() {
		next := cur
		if cur.FineGrained == policy.Allow {
			next.FineGrained = policy.Restrict
		} else {
			next.FineGrained = policy.Allow
		}
		if err := d.s.SaveOrgPolicy(ctx, org, actor, version, next, policy.OrgEvents(cur, next), grApprovedAsOff); err != nil {
			b.Fatal(err)
		}
		cur, version = next, version+1
	}
}

// The scale benchmarks share one dataset, DemoScale(100000): 100,000
// pending requests and 100,000 active tokens in scale-org-01, with the
// rest of what --demo-scale 100000 loads. It is built once per test binary
// run into a temporary directory (about half a minute, outside every
// timer) and removed by TestMain; set PATPOLICY_BENCH_DB to a file path to
// keep it between runs instead (delete the file when seed_scale.go changes).
//
// Each benchmark runs against two copies: "analyzed", as SeedScale leaves
// it, and "nostats", without the statistics ANALYZE wrote, as a database
// that grew in use has none and the planner then guesses. Benchmarks that
// write work on a copy of their own.
var scaleBench struct {
	once  sync.Once
	dir   string            // removed by TestMain
	paths map[string]string // variant -> database file
	info  ScaleInfo
	err   error
}

// scaleN is how many pending requests and active tokens the benchmark
// dataset holds in its first organization.
const scaleN = 100_000

// scaleVariants name the two copies of the dataset.
var scaleVariants = []string{"analyzed", "nostats"}

// TestMain removes what the tests and benchmarks share: the benchmarks'
// dataset and the tests' small scale fixture (scale_test.go).
func TestMain(m *testing.M) {
	code := m.Run()
	if scaleBench.dir != "" {
		os.RemoveAll(scaleBench.dir)
	}
	closeSharedScale()
	os.Exit(code)
}

// scaleDataset returns the files of the shared dataset and what it holds.
func scaleDataset(b *testing.B) (map[string]string, ScaleInfo) {
	b.Helper()
	scaleBench.once.Do(func() { scaleBench.err = buildScaleDataset() })
	if scaleBench.err != nil {
		b.Fatalf("scale dataset: %v", scaleBench.err)
	}
	return scaleBench.paths, scaleBench.info
}

func buildScaleDataset() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "patpolicy-bench-")
	if err != nil {
		return err
	}
	scaleBench.dir = dir
	path := os.Getenv("PATPOLICY_BENCH_DB")
	if path == "" {
		path = filepath.Join(dir, "analyzed.db")
	}
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	start := time.Now()
	info, err := s.SeedScale(ctx, DemoScale(scaleN), demoHash, tkCreated, grReviewed)
	if errors.Is(err, ErrScaleExists) {
		info, err = scaleInfoOf(ctx, s)
	} else if err == nil {
		fmt.Fprintf(os.Stderr, "scale dataset: %d tokens in %v\n", info.Tokens, time.Since(start).Round(time.Millisecond))
	}
	if err := errors.Join(err, s.Close()); err != nil {
		return err
	}
	nostats := filepath.Join(dir, "nostats.db")
	if err := copyFile(nostats, path); err != nil {
		return err
	}
	if s, err = Open(ctx, nostats); err != nil {
		return err
	}
	_, err = s.write.ExecContext(ctx, `DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4`)
	if err := errors.Join(err, s.Close()); err != nil {
		return err
	}
	scaleBench.paths = map[string]string{"analyzed": path, "nostats": nostats}
	scaleBench.info = info
	return nil
}

// scaleInfoOf reads back what SeedScale returned, for a kept dataset.
func scaleInfoOf(ctx context.Context, s *Store) (ScaleInfo, error) {
	var info ScaleInfo
	c, err := s.CredentialsFor(ctx, ScaleOwnerLogin)
	if err != nil {
		return info, err
	}
	info.OwnerID = c.User.ID
	if info.OrgIDs, err = int64s(ctx, s.read, `SELECT id FROM organizations WHERE login LIKE 'scale-org-%' ORDER BY login`); err != nil {
		return info, err
	}
	if info.UserIDs, err = int64s(ctx, s.read, `SELECT id FROM users WHERE login LIKE 'scale-user-%' ORDER BY login`); err != nil {
		return info, err
	}
	if len(info.OrgIDs) == 0 {
		return info, ErrNotFound
	}
	if info.Repos, err = s.ReposOf(ctx, info.OrgIDs[0]); err != nil {
		return info, err
	}
	slices.SortFunc(info.Repos, func(a, b Repo) int { return cmp.Compare(a.ID, b.ID) })
	err = s.read.QueryRowContext(ctx, `SELECT count(*) FROM grants WHERE org_id IN (SELECT id FROM organizations WHERE login LIKE 'scale-org-%')`).Scan(&info.Tokens)
	return info, err
}

// forEachVariant runs bench once per copy of the dataset, opened for it
// (copied again first when it writes).
func forEachVariant(b *testing.B, writes bool, bench func(b *testing.B, s *Store, info ScaleInfo)) {
	paths, info := scaleDataset(b)
	for _, v := range scaleVariants {
		b.Run(v, func(b *testing.B) {
			path := paths[v]
			if writes {
				cp := filepath.Join(b.TempDir(), "scale.db")
				if err := copyFile(cp, path); err != nil {
					b.Fatal(err)
				}
				path = cp
			}
			s, err := Open(context.Background(), path)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			bench(b, s, info)
		})
	}
}

// copyFile copies a closed database (its WAL checkpointed away on close).
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// scaleFixture names the filter values the listing benchmarks use, per
// status: the owner with the most grants, an owner in the middle, a
// private and a public repository, and the id halfway down the list.
type scaleFixture struct {
	busyOwner, medianOwner int64
	private, public        int64
	middle                 int64
}

func fixtureOf(b *testing.B, s *Store, info ScaleInfo, st policy.GrantStatus) scaleFixture {
	b.Helper()
	ctx := context.Background()
	org := info.OrgIDs[0]
	owners, err := int64s(ctx, s.read, `SELECT user_id FROM grants WHERE org_id = ? AND status = ? GROUP BY user_id ORDER BY count(*) DESC, user_id`, org, st)
	if err != nil || len(owners) == 0 {
		b.Fatalf("owners: %v", err)
	}
	f := scaleFixture{busyOwner: owners[0], medianOwner: owners[len(owners)/2]}
	for _, r := range info.Repos {
		if r.Private && f.private == 0 {
			f.private = r.ID
		}
		if !r.Private && f.public == 0 {
			f.public = r.ID
		}
	}
	if err := s.read.QueryRowContext(ctx, `SELECT id FROM grants WHERE org_id = ? AND status = ? ORDER BY id DESC LIMIT 1 OFFSET ?`,
		org, st, scaleN/2).Scan(&f.middle); err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkListGrants serves one 50-row page of the pending queue or of
// the active tokens of an organization with 100,000 of each, as the
// queue's handler asks for it, with its tokens' details.
func BenchmarkListGrants(b *testing.B) {
	forEachVariant(b, false, func(b *testing.B, s *Store, info ScaleInfo) {
		ctx := context.Background()
		org := info.OrgIDs[0]
		for _, st := range []policy.GrantStatus{policy.GrantPending, policy.GrantApproved} {
			f := fixtureOf(b, s, info, st)
			for _, tc := range []struct {
				name string
				q    GrantQuery
			}{
				{"page1", GrantQuery{}},
				{"deep", GrantQuery{Before: f.middle}},
				{"previous", GrantQuery{After: f.middle}},
				{"owner=busy", GrantQuery{OwnerID: f.busyOwner}},
				{"owner=median", GrantQuery{OwnerID: f.medianOwner}},
				{"repo=private", GrantQuery{RepoID: f.private}},
				{"repo=public", GrantQuery{RepoID: f.public}},
				{"repo=private/deep", GrantQuery{RepoID: f.private, Before: f.middle}},
				{"perm=contents", GrantQuery{Permission: "contents"}},
				{"perm=organization_administration", GrantQuery{Permission: "organization_administration"}},
				{"perm=contents/deep", GrantQuery{Permission: "contents", Before: f.middle}},
				{"owner+repo", GrantQuery{OwnerID: f.busyOwner, RepoID: f.private}},
				{"repo+perm", GrantQuery{RepoID: f.private, Permission: "members"}},
				{"owner+repo+perm", GrantQuery{OwnerID: f.busyOwner, RepoID: f.private, Permission: "contents"}},
				{"owner=median+repo+perm", GrantQuery{OwnerID: f.medianOwner, RepoID: f.public, Permission: "issues"}},
			} {
				q := tc.q
				q.OrgID, q.Status, q.Limit = org, st, 50
				b.Run(string(st)+"/"+tc.name, func(b *testing.B) {
					b.ReportAllocs()
					rows := 0
					for b.Loop() {
						page, err := s.ListGrants(ctx, q)
						if err != nil {
							b.Fatal(err)
						}
						rows = len(page.Tokens)
					}
					b.ReportMetric(float64(rows), "rows")
				})
			}
		}
	})
}

// BenchmarkCountGrants counts the pending queue and the active tokens, as
// the settings page does to say how many requests turning approval off
// would approve.
func BenchmarkCountGrants(b *testing.B) {
	forEachVariant(b, false, func(b *testing.B, s *Store, info ScaleInfo) {
		ctx := context.Background()
		for _, st := range []policy.GrantStatus{policy.GrantPending, policy.GrantApproved} {
			b.Run(string(st), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n, err := s.CountGrants(ctx, info.OrgIDs[0], st)
					if err != nil || n < scaleN/2 {
						b.Fatalf("CountGrants = %d, %v", n, err)
					}
				}
			})
		}
	})
}

// BenchmarkReview approves 100 pending requests, or revokes 100 active
// tokens, in one call: grants, their filter keys, 100 audit events and
// 100 notifications in one transaction, with whatever WAL checkpoint the
// commit sets off. Each iteration takes the next 100 grants still in the
// From status, oldest first, on a copy of the dataset.
func BenchmarkReview(b *testing.B) {
	forEachVariant(b, true, func(b *testing.B, s *Store, info ScaleInfo) {
		ctx := context.Background()
		org := info.OrgIDs[0]
		for _, tc := range []struct {
			name     string
			from, to policy.GrantStatus
		}{
			{"approve100", policy.GrantPending, policy.GrantApproved},
			{"revoke100", policy.GrantApproved, policy.GrantRevoked},
		} {
			b.Run(tc.name, func(b *testing.B) {
				var queue []int64
				next := func() []int64 {
					if len(queue) < 100 {
						b.StopTimer()
						ids, err := int64s(ctx, s.read, `SELECT id FROM grants WHERE org_id = ? AND status = ? ORDER BY id LIMIT 10000`, org, tc.from)
						if err != nil || len(ids) < 100 {
							b.Fatalf("%d grants left, %v", len(ids), err)
						}
						queue = ids
						b.StartTimer()
					}
					ids := queue[:100]
					queue = queue[100:]
					return ids
				}
				b.ReportAllocs()
				for b.Loop() {
					res, err := s.Review(ctx, GrantReview{Follow: grReviewed, OrgID: org, ActorID: info.OwnerID, IDs: next(), From: tc.from, To: tc.to})
					if err != nil || len(res.Moved) != 100 {
						b.Fatalf("Review: %d decided, %d skipped, %v", len(res.Moved), res.Skipped, err)
					}
				}
			})
		}
	})
}

// BenchmarkScaleReads are the other reads of every page or of the queue's
// filters, against the scale dataset: the signed-in user with the unread
// count (scale-owner has one unread notification per pending request),
// their newest notifications, the owner and repository comboboxes, and the
// developer settings list (not paged) of the member with the most tokens
// and of one in the middle.
func BenchmarkScaleReads(b *testing.B) {
	forEachVariant(b, false, func(b *testing.B, s *Store, info ScaleInfo) {
		ctx := context.Background()
		org := info.OrgIDs[0]
		f := fixtureOf(b, s, info, policy.GrantApproved)
		tokensOf := func(user int64) func() (int, error) {
			return func() (int, error) {
				t, err := s.TokensOf(ctx, user, policy.KindFineGrained, 0, 51)
				return len(t), err
			}
		}
		for _, tc := range []struct {
			name string
			fn   func() (int, error)
		}{
			{"UserByID/scale-owner", func() (int, error) { u, err := s.UserByID(ctx, info.OwnerID); return u.Unread, err }},
			{"NotificationsOf/scale-owner", func() (int, error) { n, err := s.NotificationsOf(ctx, info.OwnerID, 20); return len(n), err }},
			{"MembersOf", func() (int, error) { m, err := s.MembersOf(ctx, org); return len(m), err }},
			{"ReposOf", func() (int, error) { r, err := s.ReposOf(ctx, org); return len(r), err }},
			{"TokensOf/busiest-member", tokensOf(f.busyOwner)},
			{"TokensOf/median-member", tokensOf(f.medianOwner)},
		} {
			b.Run(tc.name, func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					var err error
					if n, err = tc.fn(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n), "rows")
			})
		}
	})
}
