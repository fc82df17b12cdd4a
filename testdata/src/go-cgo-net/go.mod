module dlcheck.test/cgonet

go 1.19
