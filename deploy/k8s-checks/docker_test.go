package k8schecks

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerfile is what the tests read from deploy/docker/Dockerfile's Go build stage.
type dockerfile struct {
	copies  []string // COPY sources of the build stage (directories end in /)
	buildSh bool     // a RUN of deploy/docker/build.sh "$SERVICE"
}

func readDockerfile(t testing.TB) dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join(root(t), "deploy", "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d dockerfile
	stage := ""
	var logical strings.Builder
	sc := bufio.NewScanner(f)
	from := regexp.MustCompile(`(?i)^FROM\s+.*\s+AS\s+(\S+)$`)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			logical.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		logical.WriteString(line)
		ins := logical.String()
		logical.Reset()
		if m := from.FindStringSubmatch(ins); m != nil {
			stage = m[1]
			continue
		}
		if stage != "build" {
			continue
		}
		fields := strings.Fields(ins)
		if len(fields) == 0 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "COPY":
			var args []string
			for _, a := range fields[1:] {
				if !strings.HasPrefix(a, "--") {
					args = append(args, a)
				}
			}
			if len(args) >= 2 {
				d.copies = append(d.copies, args[:len(args)-1]...)
			}
		case "RUN":
			if strings.Contains(ins, `deploy/docker/build.sh "$SERVICE"`) {
				d.buildSh = true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDockerfileCopiesWhatServicesImport: the build stage copies every directory of this
// module that a service's packages come from (so the image builds what `go build` here
// builds), and the ignore file lets them through.
func TestDockerfileCopiesWhatServicesImport(t *testing.T) {
	d := readDockerfile(t)
	if !d.buildSh {
		t.Fatal(`Dockerfile: the build stage does not RUN deploy/docker/build.sh "$SERVICE" (the command this package tests)`)
	}
	copied := map[string]bool{}
	for _, c := range d.copies {
		copied[strings.TrimSuffix(c, "/")] = true
	}
	for _, must := range []string{"go.mod", "go.sum", "deploy/docker/build.sh"} {
		if !copied[must] {
			t.Errorf("Dockerfile build stage does not copy %s", must)
		}
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", "./services/...")
	cmd.Dir = root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dirs := map[string]bool{}
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root(t), dir)
		if err != nil {
			t.Fatal(err)
		}
		top := strings.Split(filepath.ToSlash(rel), "/")[0]
		dirs[top] = true
		if !copied[top] {
			t.Errorf("Dockerfile build stage does not copy %s/, which the services import (%s)", top, rel)
		}
	}
	ignore, err := os.ReadFile(filepath.Join(root(t), "deploy", "docker", "Dockerfile.dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for top := range dirs {
		if !strings.Contains(string(ignore), "\n!"+top+"/\n") {
			t.Errorf("Dockerfile.dockerignore does not let %s/ into the build context", top)
		}
	}
	if len(dirs) == 0 {
		t.Fatal("go list found no package of this module under services/")
	}
}

// TestBuildEveryServiceStatic: deploy/docker/build.sh, the images' build command, builds
// every service here as a static Linux binary, even when the caller's environment asks
// for cgo.
func TestBuildEveryServiceStatic(t *testing.T) {
	mains, err := filepath.Glob(filepath.Join(root(t), "services", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("no services: %v", err)
	}
	out := t.TempDir()
	script := filepath.Join(root(t), "deploy", "docker", "build.sh")
	for _, main := range mains {
		name := filepath.Base(filepath.Dir(main))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bin := filepath.Join(out, name)
			cmd := exec.Command(script, name, bin)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOOS=linux")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("build.sh %s: %v\n%s", name, err, b)
			}
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatalf("not an ELF binary: %v", err)
			}
			defer f.Close()
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Errorf("%s is dynamically linked (has an interpreter): cgo was on", name)
				}
			}
			if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
				t.Errorf("%s needs shared libraries %v", name, libs)
			}
			if f.Section(".symtab") != nil {
				t.Errorf("%s is not stripped (-s -w)", name)
			}
		})
	}
}
