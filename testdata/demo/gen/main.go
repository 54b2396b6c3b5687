// Command gen writes churn.db, the customer churn table that the demo
// notebook churn.ipynb reads.
//
// The data is synthetic and fully determined by a fixed random seed, so
// running it twice gives the same rows. From the module root:
//
//	go run ./testdata/demo/gen
//
// The churn label follows a logistic model of age, plan, spend, tenure and
// support calls, sampled with noise, so a model can learn it but not perfectly.
// The region and signup_date columns are noise the model never reads; they make
// narrowing `SELECT *` to the used columns worthwhile. A few rows carry the dirt
// real exports have: NULL monthly_spend and negative tenure typos.
package main

import (
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"
)

// customer is one generated row; spend is nil when the export lost it.
type customer struct {
	id, age, tenure, calls int
	plan, region, signup   string
	spend                  *float64
	churned                int
}

func main() {
	out := flag.String("o", filepath.Join("testdata", "demo", "churn.db"), "database file to write (replaced)")
	n := flag.Int("n", 600, "number of customers")
	flag.Parse()
	if err := write(*out, generate(*n)); err != nil {
		log.Fatal(err)
	}
}

// generate returns n customers drawn from a fixed seed.
func generate(n int) []customer {
	r := rand.New(rand.NewPCG(20240611, 7))
	plans := []string{"basic", "standard", "premium"}
	planWeights := []float64{0.45, 0.35, 0.20}
	planEffect := map[string]float64{"basic": 0.6, "standard": 0.0, "premium": -0.7}
	planBase := map[string]float64{"basic": 25, "standard": 55, "premium": 95}
	regions := []string{"north", "south", "east", "west"}
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)

	rows := make([]customer, 0, n)
	for i := range n {
		c := customer{id: i + 1}
		c.age = 18 + int(math.Abs(r.NormFloat64()*14+22))
		if c.age > 85 {
			c.age = 85
		}
		c.plan = pick(r, plans, planWeights)
		spend := math.Round((planBase[c.plan]+r.NormFloat64()*12)*100) / 100
		if spend < 5 {
			spend = 5
		}
		c.spend = &spend
		c.tenure = int(r.ExpFloat64() * 22)
		if c.tenure > 96 {
			c.tenure = 96
		}
		lambda := 1.2 + 0.8*planEffect[c.plan]
		c.calls = poisson(r, lambda)
		c.region = regions[r.IntN(len(regions))]
		c.signup = start.AddDate(0, 0, r.IntN(6*365)).Format(time.DateOnly)

		z := -1.2 +
			1.2*float64(c.calls-1) -
			0.09*float64(c.tenure-20) +
			1.6*planEffect[c.plan] +
			0.01*(spend-50) -
			0.03*float64(c.age-40)
		if r.Float64() < 1/(1+math.Exp(-z)) {
			c.churned = 1
		}

		// Dirt: lost spend values and sign typos in tenure.
		switch u := r.Float64(); {
		case u < 0.02:
			c.spend = nil
		case u < 0.035:
			if c.tenure > 0 {
				c.tenure = -c.tenure
			} else {
				c.tenure = -1
			}
		}
		rows = append(rows, c)
	}
	return rows
}

// pick returns one of items with the given weights (summing to 1).
func pick(r *rand.Rand, items []string, weights []float64) string {
	u := r.Float64()
	for i, w := range weights {
		if u < w {
			return items[i]
		}
		u -= w
	}
	return items[len(items)-1]
}

// poisson draws from a Poisson distribution with mean lambda (Knuth's method,
// fine for the small means used here).
func poisson(r *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// write replaces path with a fresh database holding rows. It builds the file
// next to path and renames it, so a failed run leaves the old file intact.
func write(path string, rows []customer) (err error) {
	tmp := path + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing stale %s: %w", tmp, err)
	}
	db, err := sql.Open("sqlite", tmp)
	if err != nil {
		return fmt.Errorf("opening %s: %w", tmp, err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing %s: %w", tmp, cerr)
		}
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := fill(db, rows); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	fmt.Printf("wrote %d customers to %s\n", len(rows), path)
	return nil
}

// fill creates the customers table and inserts rows in one transaction.
func fill(db *sql.DB, rows []customer) error {
	const schema = `CREATE TABLE customers (
	id INTEGER PRIMARY KEY,
	age INTEGER NOT NULL,
	plan TEXT NOT NULL,
	monthly_spend REAL,
	tenure_months INTEGER NOT NULL,
	support_calls INTEGER NOT NULL,
	region TEXT NOT NULL,
	signup_date TEXT NOT NULL,
	churned INTEGER NOT NULL
)`
	if _, err := db.Exec(schema); err != nil {
		return fmt.Errorf("creating table: %w", err)
	}
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("starting transaction: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(`INSERT INTO customers
	(id, age, plan, monthly_spend, tenure_months, support_calls, region, signup_date, churned)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("preparing insert: %w", err)
	}
	defer stmt.Close()
	for _, c := range rows {
		var spend any
		if c.spend != nil {
			spend = *c.spend
		}
		if _, err := stmt.Exec(c.id, c.age, c.plan, spend, c.tenure, c.calls, c.region, c.signup, c.churned); err != nil {
			return fmt.Errorf("inserting customer %d: %w", c.id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	if _, err := db.Exec("VACUUM"); err != nil {
		return fmt.Errorf("vacuuming: %w", err)
	}
	return nil
}
