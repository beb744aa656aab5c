package client_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const (
	serverModule = "github.com/sluice-mq/sluice/"
	sdkModule    = "github.com/sluice-mq/sluice/sdk"
)

// TestSDKNeverImportsTheServer: in the workspace the sdk module could
// import the server's packages and still build, so the rule is checked
// here: no file of the module imports the server module, and packages
// client and api import the standard library only.
func TestSDKNeverImportsTheServer(t *testing.T) {
	files := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		stdOnly := strings.HasPrefix(path, filepath.Join("..", "client")+string(filepath.Separator)) ||
			strings.HasPrefix(path, filepath.Join("..", "api")+string(filepath.Separator))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			own := p == sdkModule || strings.HasPrefix(p, sdkModule+"/")
			if strings.HasPrefix(p, serverModule) && !own {
				t.Errorf("%s imports the server module: %s", path, p)
			}
			if stdOnly && !own && strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
				t.Errorf("%s imports %s, outside the standard library", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("read %d files of the sdk module, want its sources", files)
	}
}
