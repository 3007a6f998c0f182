package domain

// Stream ids (DESIGN.md, event model). The part before the first "-" is the stream's category,
// which is also a delivery topic ("page" receives every page stream).
const (
	CategoryApp        = "app"
	CategoryPageTree   = "pagetree"
	CategoryPage       = "page"
	CategoryScript     = "script"
	CategorySchema     = "schema"
	CategoryDataSource = "datasource"
	CategoryQuery      = "query"
)

func StreamApp(id string) string         { return CategoryApp + "-" + id }
func StreamPageTree(appID string) string { return CategoryPageTree + "-" + appID }
func StreamPage(id string) string        { return CategoryPage + "-" + id }
func StreamScript(id string) string      { return CategoryScript + "-" + id }
func StreamSchema(id string) string      { return CategorySchema + "-" + id }
func StreamDataSource(id string) string  { return CategoryDataSource + "-" + id }
func StreamQuery(id string) string       { return CategoryQuery + "-" + id }
