package kerneltest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/kernel/kerneltest"
	"github.com/decant-go/decant/kernel/wire"
)

// A handler scripts the fake kernel; the client dials it like a real one.
func ExampleListen() {
	s, err := kerneltest.Listen(wire.ConnectionInfo{}, kerneltest.HandlerFunc(func(c *kerneltest.Call) {
		c.Stdout("hello from " + c.Code + "\n")
		if c.Code == "fail" {
			c.Fail("ValueError", "bad value")
		}
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := kernel.Dial(ctx, s.Info)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for _, code := range []string{"cell", "fail"} {
		r, err := c.Execute(ctx, code, kernel.ExecOptions{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %d %q\n", r.Status, r.ExecutionCount, r.Outputs[0].Text)
		if r.Error != nil {
			fmt.Println(r.Error)
		}
	}
	// Output:
	// ok 1 "hello from cell\n"
	// error 2 "hello from fail\n"
	// ValueError: bad value
}
