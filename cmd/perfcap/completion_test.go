package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCompletionScripts checks cobra's completion command for every shell,
// through the in-process entry point: the script on stdout, nothing on
// stderr, exit 0. The bash script is loaded by a real bash, and bash's
// completion of "perfcap ins" and of a command's name are checked.
func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "# bash completion V2 for perfcap",
		"zsh":        "#compdef perfcap",
		"fish":       "complete -c perfcap",
		"powershell": "Register-ArgumentCompleter",
	} {
		code, stdout, stderr := cli("completion", shell)
		if code != 0 || !strings.Contains(stdout, marker) || stderr != "" {
			t.Errorf("perfcap completion %s: exit %d, stderr %q, script without %q", shell, code, stderr, marker)
		}
	}
	if code, _, stderr := cli("completion", "tcsh"); code != exitError || !strings.Contains(stderr, `unknown command "tcsh"`) {
		t.Errorf("perfcap completion tcsh: exit %d, %q", code, stderr)
	}
	if code, stdout, _ := cli("completion"); code != 0 || !strings.Contains(stdout, "powershell") {
		t.Errorf("perfcap completion: exit %d, %q; want the help naming the shells", code, stdout)
	}

	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Skip("bash-completion is not installed (cobra's script needs it): apt-get install bash-completion")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "perfcap.bash")
	_, stdout, _ := cli("completion", "bash")
	if err := os.WriteFile(script, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	// The script calls the real binary back (perfcap __complete ...), as
	// it does in a user's shell.
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(perfcapBin, filepath.Join(bin, "perfcap")); err != nil {
		t.Fatal(err)
	}
	complete := func(line string) []string {
		t.Helper()
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		prog := `script="$1"; COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ));
			source ` + bashCompletion + ` && source "$script" && __start_perfcap perfcap && printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command(bash, append([]string{"-c", prog, "bash", script, line}, words...)...)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash completion of %q: %v\n%s", line, err, out)
		}
		return strings.Fields(string(out))
	}
	// The first word is a subcommand or a program to run.
	got := complete("perfcap ins")
	if !slices.Contains(got, "inspect") {
		t.Errorf("perfcap ins<TAB> = %q, want inspect among them", got)
	}
	for _, w := range got {
		if _, err := exec.LookPath(w); err != nil && w != "inspect" {
			t.Errorf("perfcap ins<TAB> offers %q, neither a subcommand nor a program", w)
		}
	}
	if got := complete("perfcap -- bas"); !slices.Contains(got, "bash") {
		t.Errorf("perfcap -- bas<TAB> = %q, want bash among them", got)
	}
}

// TestCommandNamedLikeASubcommand runs, after "--", a program named
// completion (and one named inspect): perfcap runs it rather than its own
// subcommand.
func TestCommandNamedLikeASubcommand(t *testing.T) {
	bin := t.TempDir()
	for _, name := range []string{"completion", "inspect"} {
		prog := "#!/bin/sh\necho \"I am " + name + " $*\"\nexit 3\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(prog), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, name := range []string{"completion", "inspect"} {
		r := perfcap(t, "--quiet", "--no-perf", "--", name, "bash")
		if r.code != 3 || r.stdout != "I am "+name+" bash\n" {
			t.Errorf("perfcap -- %s bash: exit %d, stdout %q", name, r.code, r.stdout)
		}
		if len(r.manifest.Command) == 0 || r.manifest.Command[0] != name {
			t.Errorf("the bundle's command is %q", r.manifest.Command)
		}
	}
}
