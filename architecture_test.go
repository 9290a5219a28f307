package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layers is which of the module's packages each package may import (its
// production code; tests may reach further). Arrows point down only: the
// plumbing of web/ knows no handler, the store knows no use case, the rules
// know nothing, and the two transports do not know each other. A package
// missing here fails the test, so a new one must take its place.
var layers = map[string][]string{
	"policy":        {},
	"static":        {},
	"signin":        {},
	"web/session":   {},
	"web/render":    {},
	"web/paths":     {"policy"},
	"web/csrf":      {"web/session"},
	"db":            {"hooks/payload", "policy"},
	"hooks/payload": {"policy"},
	"hooks":         {"db", "hooks/payload"},
	"db/dbtest":     {},
	"web/guard":     {"db", "web/paths", "web/session"},
	"views":         {"policy", "web/paths"},
	"service":       {"db", "hooks/payload", "policy", "web/paths"},
	"handlers": {"db", "hooks/payload", "policy", "service", "signin", "views",
		"web/csrf", "web/guard", "web/paths", "web/render", "web/session"},
	"handlers/api": {"db", "hooks/payload", "policy", "service", "web/paths", "web/render"},
	"server": {"db", "handlers", "handlers/api", "hooks", "hooks/payload", "policy", "service", "signin", "static", "views",
		"web/csrf", "web/guard", "web/paths", "web/render", "web/session"},
	".":            {"db", "hooks", "jobs", "server", "service", "web/session"},
	"jobs":         {},
	"cmd/loadgen":  {},
	"cmd/wrkratio": {},
}

// TestLayersImportOnlyDownward reads the imports of every package of the
// module and checks each against layers.
func TestLayersImportOnlyDownward(t *testing.T) {
	const module = "patpolicy/"
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "e2e" || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		allowed, known := layers[pkg]
		if !known {
			t.Errorf("%s: package %s has no place in the layers", path, pkg)
			return nil
		}
		seen[pkg] = true
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			dep, ok := strings.CutPrefix(strings.Trim(imp.Path.Value, `"`), module)
			if ok && !slices.Contains(allowed, dep) {
				t.Errorf("%s imports %s, which %s may not", path, dep, pkg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range layers {
		if !seen[pkg] {
			t.Errorf("layers names %s, which has no Go files", pkg)
		}
	}
}
