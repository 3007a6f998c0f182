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
	CategoryUser       = "user"
	CategoryWorkspace  = "workspace"
	CategoryAuthLog    = "authlog"
	CategorySession    = "session"
)

// StreamUnknownLogins records failed logins for usernames that have no account (events
// authlog.login_failed), so that guessing at usernames leaves a trace too.
const StreamUnknownLogins = CategoryAuthLog + "-unknown"

func StreamApp(id string) string         { return CategoryApp + "-" + id }
func StreamPageTree(appID string) string { return CategoryPageTree + "-" + appID }
func StreamPage(id string) string        { return CategoryPage + "-" + id }
func StreamScript(id string) string      { return CategoryScript + "-" + id }
func StreamSchema(id string) string      { return CategorySchema + "-" + id }
func StreamDataSource(id string) string  { return CategoryDataSource + "-" + id }
func StreamQuery(id string) string       { return CategoryQuery + "-" + id }

// StreamUser is a user's stream; the id is the username, so creating the stream with expected
// version "no stream" is what keeps usernames unique.
func StreamUser(id string) string      { return CategoryUser + "-" + id }
func StreamWorkspace(id string) string { return CategoryWorkspace + "-" + id }

// StreamSession is one runtime session of a running app: its start and every dispatch.
func StreamSession(id string) string { return CategorySession + "-" + id }
