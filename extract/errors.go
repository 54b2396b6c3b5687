package extract

import "fmt"

// CellError is an extraction problem at a place in the notebook.
type CellError struct {
	File string // notebook file name
	Cell int    // cell index, 0-based as in the file
	Line int    // line in the cell, 1-based; 0 when the whole cell is meant
	Msg  string
	Err  error
}

func (e *CellError) Error() string {
	loc := fmt.Sprintf("%s: cell %d", e.File, e.Cell)
	if e.Line > 0 {
		loc += fmt.Sprintf(", line %d", e.Line)
	}
	if e.Err != nil {
		return loc + ": " + e.Msg + ": " + e.Err.Error()
	}
	return loc + ": " + e.Msg
}

func (e *CellError) Unwrap() error { return e.Err }

// NoLabelsError is returned when a notebook has no labels and auto-labelling was not asked for.
type NoLabelsError struct {
	File     string
	Headings []string
}

func (e *NoLabelsError) Error() string {
	msg := fmt.Sprintf("%s: no section labels found", e.File)
	if len(e.Headings) > 0 {
		msg += "; headings found:"
		for _, h := range e.Headings {
			msg += "\n\t" + h
		}
	} else {
		msg += " (the notebook has no markdown headings)"
	}
	msg += "\nlabel the cells with markdown headings such as \"## 1. Preparation\", \"## 2. Pre/Post processing\", " +
		"\"## 3. Calculation\", a first-line comment \"// 1. Preparation\", or the cell tags preparation, preprocessing, " +
		"calculation; or pass --auto-label"
	return msg
}

// KernelError is returned for notebooks that are not GoNB notebooks.
type KernelError struct {
	File, Kernel, Language string
}

func (e *KernelError) Error() string {
	return fmt.Sprintf("%s: the notebook's kernel is %q (language %q); decant extracts GoNB (Go) notebooks",
		e.File, e.Kernel, e.Language)
}
