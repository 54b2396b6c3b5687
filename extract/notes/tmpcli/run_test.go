package cli
import ("testing";"os";"context")
func TestRun(t *testing.T){
  env := OSEnv()
  for _, c := range docCommands() { if c.name == "doc" { c.run(context.Background(), []string{"--write","--dry-run", os.Getenv("NB")}, env) } }
}
