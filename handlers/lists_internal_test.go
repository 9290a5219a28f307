package handlers

import "testing"

func TestListCountGroupsThousandsAndSaysWhatItCounts(t *testing.T) {
	cases := []struct {
		n        int
		filtered bool
		want     string
	}{
		{0, false, "0 pending"},
		{999, false, "999 pending"},
		{1000, false, "1,000 pending"},
		{20000, false, "20,000 pending"},
		{1234567, false, "1,234,567 pending"},
		{20000, true, "20,000 pending in all, before filters"},
	}
	for _, c := range cases {
		if got := listCount(c.n, "pending", c.filtered); got != c.want {
			t.Errorf("listCount(%d, %v) = %q, want %q", c.n, c.filtered, got, c.want)
		}
	}
}

func TestExcerptCutsAtAWordAndMarksTheCut(t *testing.T) {
	if got, cut := excerpt("Deploys the API"); got != "Deploys the API" || cut {
		t.Errorf("a short text: %q, %v", got, cut)
	}
	long := ""
	for len(long) < 400 {
		long += "word "
	}
	got, cut := excerpt(long)
	if !cut || len([]rune(got)) > excerptRunes+1 || got[len(got)-len("word…"):] != "word…" {
		t.Errorf("a long text: %q, %v", got, cut)
	}
}
