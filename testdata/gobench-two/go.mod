module example.com/gobenchtwo

go 1.24
