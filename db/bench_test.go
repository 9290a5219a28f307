package db

import (
	"context"
	"testing"

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
		if err := d.s.SaveOrgPolicy(ctx, org, actor, version, next, policy.OrgEvents(cur, next)); err != nil {
			b.Fatal(err)
		}
		cur, version = next, version+1
	}
}
