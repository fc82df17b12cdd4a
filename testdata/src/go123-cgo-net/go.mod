module dlcheck.test/go123cgonet

go 1.23
