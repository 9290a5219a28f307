package db

import (
	"math"
	"testing"
)

func TestPageWindow(t *testing.T) {
	for _, tc := range []struct {
		page, per, limit, offset int
		ok                       bool
	}{
		{0, 0, 30, 0, true}, {1, 30, 30, 0, true}, {3, 7, 7, 14, true}, {-1, 500, 100, 0, true},
		{math.MaxInt, 100, 100, 0, false}, {math.MaxInt/100 + 1, 100, 100, math.MaxInt / 100 * 100, true},
	} {
		limit, offset, ok := pageWindow(tc.page, tc.per)
		if limit != tc.limit || offset != tc.offset || ok != tc.ok {
			t.Errorf("pageWindow(%d, %d) = %d, %d, %v; want %d, %d, %v", tc.page, tc.per, limit, offset, ok, tc.limit, tc.offset, tc.ok)
		}
	}
}
