module example.com/goslow

go 1.22
