package logtail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// fileStat is what a listing knows of one file.
type fileStat struct {
	path     string
	dev, ino uint64
	size     int64
	mtime    time.Time
}

func statOf(path string, fi fs.FileInfo) fileStat {
	dev, ino := devIno(fi)
	return fileStat{path: path, dev: dev, ino: ino, size: fi.Size(), mtime: fi.ModTime()}
}

// logName matches the names read from a directory: PostgreSQL's .log,
// .csv and .json files, with logrotate's .N suffix and .gz.
var logName = regexp.MustCompile(`\.(log|csv|json)(\.[0-9]+)?(\.gz)?$`)

// formatRank orders the formats of one log written several times: the
// highest is read.
var formatRank = map[string]int{"csv": 3, "json": 2, "log": 1}

// pathProblem is a path that could not be listed.
type pathProblem struct {
	path string
	err  error
}

// otherFormat is a file left out for the same log in a richer format.
type otherFormat struct{ path, other string }

// expand lists the regular files that paths name (files, directories,
// glob patterns), oldest first by modification time then name, each once,
// with one format per log (see the package comment): skipped are the
// others. A path that names nothing is a problem; so is a pattern that
// matches nothing.
func expand(paths []string) (files []fileStat, skipped []otherFormat, problems []pathProblem) {
	var out []fileStat
	seen := map[string]bool{}
	add := func(path string, fi fs.FileInfo) {
		st := statOf(path, fi)
		key := path
		if st.ino != 0 {
			key = fmt.Sprintf("%d:%d", st.dev, st.ino)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, st)
		}
	}
	for _, p := range paths {
		if strings.ContainsAny(p, "*?[") {
			matches, err := filepath.Glob(p)
			if err != nil {
				problems = append(problems, pathProblem{p, fmt.Errorf("bad pattern: %w", err)})
				continue
			}
			if len(matches) == 0 {
				problems = append(problems, pathProblem{p, errors.New("matches no file")})
			}
			for _, m := range matches {
				problems = append(problems, expandOne(m, false, add)...)
			}
			continue
		}
		problems = append(problems, expandOne(p, true, add)...)
	}
	out, skipped = oneFormat(out)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].mtime.Equal(out[j].mtime) {
			return out[i].mtime.Before(out[j].mtime)
		}
		return out[i].path < out[j].path
	})
	return out, skipped, problems
}

// expandOne adds path, or the log files of the directory path.
func expandOne(path string, named bool, add func(string, fs.FileInfo)) []pathProblem {
	fi, err := os.Stat(path)
	if err != nil {
		if named || !os.IsNotExist(err) {
			return []pathProblem{{path, unwrapPath(err)}}
		}
		return nil
	}
	if fi.Mode().IsRegular() {
		add(path, fi)
		return nil
	}
	if !fi.IsDir() {
		if named {
			return []pathProblem{{path, errors.New("not a regular file or a directory")}}
		}
		return nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return []pathProblem{{path, unwrapPath(err)}}
	}
	var problems []pathProblem
	for _, e := range entries {
		if !logName.MatchString(e.Name()) {
			continue
		}
		full := filepath.Join(path, e.Name())
		fi, err := os.Stat(full)
		if err != nil {
			if !os.IsNotExist(err) {
				problems = append(problems, pathProblem{full, unwrapPath(err)})
			}
			continue
		}
		if fi.Mode().IsRegular() {
			add(full, fi)
		}
	}
	return problems
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// oneFormat keeps, of the files that hold one log in several formats (the
// same directory and name but for .log, .csv or .json), the one of the
// highest rank, and returns the others as skipped.
func oneFormat(files []fileStat) (kept []fileStat, skipped []otherFormat) {
	best := map[string]int{}
	for i, f := range files {
		stem, ext := logStem(f.path)
		if ext == "" {
			continue
		}
		if j, ok := best[stem]; !ok || formatRank[ext] > formatRank[extOf(files[j].path)] {
			best[stem] = i
		}
	}
	for i, f := range files {
		stem, ext := logStem(f.path)
		if ext == "" || best[stem] == i {
			kept = append(kept, f)
		} else {
			skipped = append(skipped, otherFormat{f.path, files[best[stem]].path})
		}
	}
	return kept, skipped
}

// logStem splits a log file name into the path without its format
// extension (keeping any rotation suffix) and the extension: log, csv or
// json, or "" when the name has none of them.
func logStem(path string) (stem, ext string) {
	m := logName.FindStringSubmatchIndex(path)
	if m == nil {
		return path, ""
	}
	ext = path[m[2]:m[3]]
	return path[:m[0]] + path[m[3]:], ext
}

func extOf(path string) string {
	_, ext := logStem(path)
	return ext
}
