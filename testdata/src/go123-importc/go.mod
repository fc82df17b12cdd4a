module dlcheck.test/go123importc

go 1.23
