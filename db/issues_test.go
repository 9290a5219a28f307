package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"patpolicy/policy"
)

func TestCreateIssueNumbersPerRepository(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	octo := tkRepoIDs(t, d.s, d.orgs["octo-org"])
	web, api := octo["octo-web"], octo["octo-api"]
	tok, _ := tkCreate(t, d, "mona", "", policy.TokenRequest{Name: "issues", ExpiresInDays: 30, Selection: policy.SelectAll,
		Permissions: map[string]policy.Level{"issues": policy.LevelWrite}})
	create := func(repo int64, title string) Issue {
		t.Helper()
		is, err := d.s.CreateIssue(ctx, NewIssue{RepoID: repo, UserID: d.users["mona"], TokenID: tok, Title: title, Body: "body of " + title})
		if err != nil {
			t.Fatalf("CreateIssue(%d, %s): %v", repo, title, err)
		}
		return is
	}
	var got []string
	for _, c := range []struct {
		repo  int64
		title string
	}{{web, "w1"}, {web, "w2"}, {api, "a1"}, {web, "w3"}, {api, "a2"}} {
		is := create(c.repo, c.title)
		got = append(got, fmt.Sprintf("%s#%d", c.title, is.Number))
		if is.ID == 0 || is.RepoID != c.repo || is.UserID != d.users["mona"] || is.UserLogin != "mona" || is.TokenID != tok ||
			is.Title != c.title || is.Body != "body of "+c.title || !is.CreatedAt.Equal(fixedNow.Truncate(time.Microsecond)) {
			t.Errorf("issue %+v", is)
		}
	}
	if want := []string{"w1#1", "w2#2", "a1#1", "w3#3", "a2#2"}; !slices.Equal(got, want) {
		t.Errorf("numbers %v, want %v", got, want)
	}

	if _, err := d.s.CreateIssue(ctx, NewIssue{RepoID: 1 << 40, UserID: d.users["mona"], TokenID: tok, Title: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("CreateIssue in no repository: %v, want ErrNotFound", err)
	}
	// Without a token, and after its token is deleted, an issue stays with
	// no token.
	if is, err := d.s.CreateIssue(ctx, NewIssue{RepoID: api, UserID: d.users["hubot"], Title: "no token"}); err != nil || is.TokenID != 0 || is.Number != 3 || is.UserLogin != "hubot" {
		t.Errorf("issue without a token: %+v, %v", is, err)
	}
	if err := d.s.DeleteToken(ctx, d.users["mona"], tok, tkDeleted); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d.s, `SELECT count(*) FROM issues`); n != 6 {
		t.Errorf("%d issues after deleting their token, want 6", n)
	}
	if n := count(t, d.s, `SELECT count(*) FROM issues WHERE token_id IS NOT NULL`); n != 0 {
		t.Errorf("%d issues still name the deleted token", n)
	}
}

func TestCreateIssueConcurrentNumbers(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	octo := tkRepoIDs(t, d.s, d.orgs["octo-org"])
	repos := []int64{octo["octo-infra"], tkRepoIDs(t, d.s, d.orgs["solo-org"])["solo-app"]}
	const workers, each = 8, 12
	type made struct{ repo, number int64 }
	results := make(chan made, workers*each)
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				repo := repos[(w+i)%len(repos)]
				is, err := d.s.CreateIssue(ctx, NewIssue{RepoID: repo, UserID: d.users["hubot"], Title: fmt.Sprintf("w%d-%d", w, i)})
				if err != nil {
					errs <- err
					continue
				}
				results <- made{repo, is.Number}
			}
		})
	}
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Errorf("CreateIssue: %v", err)
	}
	numbers := map[int64][]int64{}
	for r := range results {
		numbers[r.repo] = append(numbers[r.repo], r.number)
	}
	total := 0
	for _, repo := range repos {
		ns := numbers[repo]
		slices.Sort(ns)
		total += len(ns)
		for i, n := range ns {
			if n != int64(i+1) {
				t.Errorf("repository %d has numbers %v, want 1..%d without a gap or a repeat", repo, ns, len(ns))
				break
			}
		}
	}
	if total != workers*each {
		t.Errorf("%d issues created, want %d", total, workers*each)
	}
	if n := count(t, d.s, `SELECT count(*) FROM (SELECT DISTINCT repo_id, number FROM issues) pairs`); n != workers*each {
		t.Errorf("%d distinct (repository, number) pairs stored, want %d", n, workers*each)
	}
}

func TestCreateIssueLabelsAndAssignees(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	octo := tkRepoIDs(t, d.s, d.orgs["octo-org"])
	web, api := octo["octo-web"], octo["octo-api"]
	desc := "Something is broken"
	first, err := d.s.CreateIssue(ctx, NewIssue{RepoID: web, UserID: d.users["mona"], Title: "one",
		Labels:    []NewLabel{{Name: "bug", Color: "d73a4a", Description: &desc}, {Name: "Docs", Color: "ededed"}, {Name: "BUG", Color: "000000"}},
		Assignees: []string{"hubot", "no-such-user", "ent-admin", "MONA", "hubot"}})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, l := range first.Labels {
		labels = append(labels, fmt.Sprintf("%s/%s/%v", l.Name, l.Color, l.Description != nil))
	}
	// One label per name in any case, as first made; assignees who are
	// members of the organization, each once.
	if want := []string{"bug/d73a4a/true", "Docs/ededed/false"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	var logins []string
	for _, m := range first.Assignees {
		logins = append(logins, m.Login)
	}
	if want := []string{"hubot", "mona"}; !slices.Equal(logins, want) {
		t.Errorf("assignees %v, want %v (ent-admin is no member of octo-org)", logins, want)
	}
	// A second issue reuses the label, by name or by id; another
	// repository has labels of its own.
	bug := first.Labels[0].ID
	second, err := d.s.CreateIssue(ctx, NewIssue{RepoID: web, UserID: d.users["mona"], Title: "two",
		Labels: []NewLabel{{ID: bug}, {Name: "bug", Color: "ffffff"}}})
	if err != nil || len(second.Labels) != 1 || second.Labels[0].ID != bug || second.Labels[0].Color != "d73a4a" {
		t.Errorf("second issue labels %+v, %v", second.Labels, err)
	}
	if _, err := d.s.CreateIssue(ctx, NewIssue{RepoID: api, UserID: d.users["mona"], Title: "three", Labels: []NewLabel{{ID: bug}}}); !errors.Is(err, ErrUnknownLabel) {
		t.Errorf("another repository's label id: %v, want ErrUnknownLabel", err)
	}
	if n := count(t, d.s, `SELECT count(*) FROM issues WHERE title = 'three'`); n != 0 {
		t.Errorf("a refused issue is stored")
	}
	if n := count(t, d.s, `SELECT count(*) FROM labels`); n != 2 {
		t.Errorf("%d labels, want 2", n)
	}
}
