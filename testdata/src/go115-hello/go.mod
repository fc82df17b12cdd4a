module dlcheck.test/go115hello

go 1.15
