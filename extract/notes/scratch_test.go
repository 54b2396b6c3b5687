package notes
import ("testing";"os";"fmt";"github.com/decant-go/decant/notebooks")
func TestScratch(t *testing.T){
 p := os.Getenv("NB")
 raw,_ := os.ReadFile(p)
 nb, err := notebooks.Parse(p, raw); if err!=nil {t.Fatal(err)}
 n, err := Analyze(nb, raw); if err != nil { t.Fatal(err) }
 ch := Annotate(nb, n)
 fmt.Println("changed", ch)
 for _, i := range ch { fmt.Printf("==== %d\n%s\n", i, nb.Cells[i].Source) }
 out, err := notebooks.Format(nb); if err != nil { t.Fatal(err) }
 os.WriteFile("/tmp/nt/out.ipynb", out, 0644)
 nb2, _ := notebooks.Parse(p, out)
 n2, _ := Analyze(nb2, out)
 fmt.Println("second", Annotate(nb2, n2))
}
