package views

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeIsFresh fails when a .templ file was changed without
// running `go tool templ generate`, or a generated file was edited by hand.
// It generates the components afresh in a scratch copy laid out like the
// module (the generated code names its source by that relative path) and
// compares them with the committed files.
func TestGeneratedCodeIsFresh(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templ files found: %v", err)
	}
	bin, err := exec.Command("go", "tool", "-n", "templ").Output()
	if err != nil {
		t.Fatalf("locate templ: %v", err)
	}
	scratch := t.TempDir()
	if err := os.Mkdir(filepath.Join(scratch, "views"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(scratch, "views", f), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(strings.TrimSpace(string(bin)), "generate")
	cmd.Dir = scratch
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("templ generate: %v\n%s", err, out)
	}
	for _, f := range files {
		gen := strings.TrimSuffix(f, ".templ") + "_templ.go"
		fresh, err := os.ReadFile(filepath.Join(scratch, "views", gen))
		if err != nil {
			t.Fatalf("templ generated nothing for %s: %v", f, err)
		}
		committed, err := os.ReadFile(gen)
		if err != nil {
			t.Fatalf("%s has no generated file: run go tool templ generate", f)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s is stale: run go tool templ generate and commit the result", gen)
		}
	}
}
