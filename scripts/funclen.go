//go:build ignore

// funclen lists the functions longer than a limit: go run scripts/funclen.go [-max N] DIR...
// (the architecture's rule: cmd/perfcap ≤ 120 lines a function, libraries ≤ 150).
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	limit := flag.Int("max", 120, "report functions longer than `N` lines")
	flag.Parse()
	bad := 0
	for _, dir := range flag.Args() {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
				if n > *limit {
					bad++
					fmt.Printf("%s:%d: %s is %d lines\n", path, fset.Position(fd.Pos()).Line, fd.Name.Name, n)
				}
			}
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
