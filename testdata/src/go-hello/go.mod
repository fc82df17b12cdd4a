module dlcheck.test/hello

go 1.19
