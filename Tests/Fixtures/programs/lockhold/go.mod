module lockhold

go 1.22
