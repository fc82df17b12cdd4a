module dlcheck.test/go123sqlite

go 1.23

require github.com/mattn/go-sqlite3 v1.14.16

// The module source comes from Debian's golang-github-mattn-go-sqlite3-dev
// (1.14.16~ds1-1), which build.sh downloads and extracts (not installs).
replace github.com/mattn/go-sqlite3 => ../../.toolchains/go-sqlite3/usr/share/gocode/src/github.com/mattn/go-sqlite3
