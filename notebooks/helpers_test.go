package notebooks

import "strconv"

func itoa(i int) string { return strconv.Itoa(i) }

func intp(i int) *int { return &i }
