package domain

import "encoding/json"

// The built-in component manifests. Schemas are built from small helpers so that every component
// describes its props the same way (types, limits, UI hints), and are compiled by DefaultCatalog.

const jsonSchemaDraft = "https://json-schema.org/draft/2020-12/schema"

type mfMap = map[string]any

// mfJSON marshals static manifest data; it cannot fail for the maps and slices used here, and
// the manifest tests compile every schema, so a mistake cannot reach a running server.
func mfJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("domain: manifest data does not marshal: " + err.Error())
	}
	return b
}

// mfUI attaches the property panel hints to a prop schema.
func mfUI(s mfMap, widget, label, group string) mfMap {
	s["x-ui"] = mfMap{"widget": widget, "label": label, "group": group}
	return s
}

func mfString(maxLen int) mfMap { return mfMap{"type": "string", "maxLength": maxLen} }

func mfEnum(values ...string) mfMap { return mfMap{"type": "string", "enum": values} }

// mfExpr is a binding expression such as "{{ queries.users.data }}", evaluated at run time.
func mfExpr() mfMap {
	return mfMap{"type": "string", "pattern": `^\s*\{\{[\s\S]*\}\}\s*$`, "maxLength": 4096}
}

// mfBindable accepts a literal value or a binding expression.
func mfBindable(s mfMap) mfMap { return mfMap{"anyOf": []any{s, mfExpr()}} }

func mfBool() mfMap { return mfMap{"type": "boolean"} }

func mfHidden() mfMap { return mfUI(mfBindable(mfBool()), "switch", "Hidden", "visibility") }

// mfProps is the root of a props schema: an object with known properties only.
func mfProps(props mfMap, required ...string) json.RawMessage {
	props["hidden"] = mfHidden()
	s := mfMap{"$schema": jsonSchemaDraft, "type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return mfJSON(s)
}

// mfObject is a payload or params schema.
func mfObject(props mfMap, required ...string) json.RawMessage {
	s := mfMap{"$schema": jsonSchemaDraft, "type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return mfJSON(s)
}

func mfModifierClick(extra mfMap) json.RawMessage {
	p := mfMap{
		"altKey":   mfBool(),
		"ctrlKey":  mfBool(),
		"metaKey":  mfBool(),
		"shiftKey": mfBool(),
	}
	for k, v := range extra {
		p[k] = v
	}
	return mfObject(p, "altKey", "ctrlKey", "metaKey", "shiftKey")
}

func mfEmpty() json.RawMessage { return mfObject(mfMap{}) }

func mfVals(kv mfMap) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(kv))
	for k, v := range kv {
		out[k] = mfJSON(v)
	}
	return out
}

func mfEv(name, native, desc string, payload json.RawMessage) EventSpec {
	return EventSpec{Name: name, NativeEvent: native, Description: desc, Payload: payload}
}

func mfAct(name, desc string, params json.RawMessage) ActionSpec {
	return ActionSpec{Name: name, Description: desc, Params: params}
}

func mfLayoutProps() mfMap {
	return mfMap{
		"gap":     mfUI(mfMap{"type": "number", "minimum": 0, "maximum": 512}, "number", "Gap", "layout"),
		"padding": mfUI(mfMap{"type": "number", "minimum": 0, "maximum": 512}, "number", "Padding", "layout"),
		"align":   mfUI(mfEnum("start", "center", "end", "stretch", "baseline"), "select", "Align items", "layout"),
		"justify": mfUI(mfEnum("start", "center", "end", "between", "around", "evenly"), "select", "Justify content", "layout"),
	}
}

func builtinManifests() []Manifest {
	container := mfLayoutProps()
	container["direction"] = mfUI(mfEnum("column", "row"), "segmented", "Direction", "layout")
	container["background"] = mfUI(mfString(64), "color", "Background", "appearance")
	container["borderRadius"] = mfUI(mfMap{"type": "number", "minimum": 0, "maximum": 256}, "number", "Corner radius", "appearance")
	container["scrollable"] = mfUI(mfBool(), "switch", "Scrollable", "layout")

	row := mfLayoutProps()
	row["wrap"] = mfUI(mfBool(), "switch", "Wrap", "layout")

	align := mfUI(mfEnum("left", "center", "right", "justify"), "segmented", "Alignment", "appearance")
	inputCommon := func(p mfMap) mfMap {
		p["label"] = mfUI(mfString(200), "text", "Label", "basic")
		p["helperText"] = mfUI(mfString(500), "text", "Helper text", "basic")
		p["disabled"] = mfUI(mfBindable(mfBool()), "switch", "Disabled", "interaction")
		p["required"] = mfUI(mfBool(), "switch", "Required", "validation")
		return p
	}
	textInput := inputCommon(mfMap{
		"placeholder": mfUI(mfString(200), "text", "Placeholder", "basic"),
		"value":       mfUI(mfBindable(mfString(100000)), "text", "Default value", "basic"),
		"inputType":   mfUI(mfEnum("text", "email", "password", "url", "tel", "search"), "select", "Input type", "basic"),
		"readOnly":    mfUI(mfBool(), "switch", "Read only", "interaction"),
		"maxLength":   mfUI(mfMap{"type": "integer", "minimum": 0, "maximum": 100000}, "number", "Max length", "validation"),
		"minLength":   mfUI(mfMap{"type": "integer", "minimum": 0, "maximum": 100000}, "number", "Min length", "validation"),
		"pattern":     mfUI(mfMap{"type": "string", "format": "regex", "maxLength": 1000}, "text", "Pattern", "validation"),
	})
	numberInput := inputCommon(mfMap{
		"placeholder": mfUI(mfString(200), "text", "Placeholder", "basic"),
		"value":       mfUI(mfBindable(mfMap{"type": []string{"number", "null"}}), "number", "Default value", "basic"),
		"min":         mfUI(mfMap{"type": "number"}, "number", "Minimum", "validation"),
		"max":         mfUI(mfMap{"type": "number"}, "number", "Maximum", "validation"),
		"step":        mfUI(mfMap{"type": "number", "exclusiveMinimum": 0}, "number", "Step", "basic"),
		"precision":   mfUI(mfMap{"type": "integer", "minimum": 0, "maximum": 10}, "number", "Decimal places", "basic"),
		"prefix":      mfUI(mfString(20), "text", "Prefix", "appearance"),
		"suffix":      mfUI(mfString(20), "text", "Suffix", "appearance"),
	})
	option := mfMap{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"label", "value"},
		"properties": mfMap{
			"label":    mfString(200),
			"value":    mfMap{"type": []string{"string", "number", "boolean"}},
			"disabled": mfBool(),
		},
	}
	selectProps := inputCommon(mfMap{
		"options":     mfUI(mfBindable(mfMap{"type": "array", "items": option, "maxItems": 10000}), "options", "Options", "basic"),
		"value":       mfUI(mfBindable(mfMap{"type": []string{"string", "number", "boolean", "array", "null"}}), "text", "Default value", "basic"),
		"placeholder": mfUI(mfString(200), "text", "Placeholder", "basic"),
		"multiple":    mfUI(mfBool(), "switch", "Multiple", "interaction"),
		"searchable":  mfUI(mfBool(), "switch", "Searchable", "interaction"),
		"clearable":   mfUI(mfBool(), "switch", "Clearable", "interaction"),
	})
	checkbox := mfMap{
		"label":         mfUI(mfString(200), "text", "Label", "basic"),
		"checked":       mfUI(mfBindable(mfBool()), "switch", "Checked", "basic"),
		"indeterminate": mfUI(mfBool(), "switch", "Indeterminate", "basic"),
		"disabled":      mfUI(mfBindable(mfBool()), "switch", "Disabled", "interaction"),
		"required":      mfUI(mfBool(), "switch", "Required", "validation"),
	}
	column := mfMap{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"key"},
		"properties": mfMap{
			"key":      mfMap{"type": "string", "minLength": 1, "maxLength": 200},
			"title":    mfString(200),
			"type":     mfEnum("text", "number", "date", "boolean", "link", "image", "currency"),
			"width":    mfMap{"type": "number", "minimum": 0, "maximum": 4000},
			"sortable": mfBool(),
			"hidden":   mfBool(),
			"align":    mfEnum("left", "center", "right"),
		},
	}
	rowsSchema := mfBindable(mfMap{"type": "array", "items": mfMap{"type": "object"}, "maxItems": 100000})
	table := mfMap{
		"columns":    mfUI(mfMap{"type": "array", "items": column, "maxItems": 200}, "columns", "Columns", "data"),
		"rows":       mfUI(rowsSchema, "expression", "Rows", "data"),
		"rowKey":     mfUI(mfString(200), "text", "Row key", "data"),
		"pageSize":   mfUI(mfMap{"type": "integer", "minimum": 1, "maximum": 1000}, "number", "Page size", "pagination"),
		"selectable": mfUI(mfEnum("none", "single", "multiple"), "select", "Row selection", "interaction"),
		"searchable": mfUI(mfBool(), "switch", "Search box", "interaction"),
		"striped":    mfUI(mfBool(), "switch", "Striped rows", "appearance"),
		"dense":      mfUI(mfBool(), "switch", "Dense", "appearance"),
		"emptyText":  mfUI(mfString(200), "text", "Empty text", "basic"),
		"loading":    mfUI(mfBindable(mfBool()), "switch", "Loading", "data"),
	}
	form := mfMap{
		"title":         mfUI(mfString(200), "text", "Title", "basic"),
		"submitLabel":   mfUI(mfString(100), "text", "Submit label", "basic"),
		"resetLabel":    mfUI(mfString(100), "text", "Reset label", "basic"),
		"showReset":     mfUI(mfBool(), "switch", "Show reset", "basic"),
		"layout":        mfUI(mfEnum("vertical", "horizontal"), "segmented", "Layout", "layout"),
		"disabled":      mfUI(mfBindable(mfBool()), "switch", "Disabled", "interaction"),
		"initialValues": mfUI(mfBindable(mfMap{"type": "object"}), "json", "Initial values", "data"),
	}
	image := mfMap{
		"src":          mfUI(mfMap{"type": "string", "minLength": 1, "maxLength": 8192}, "url", "Source", "basic"),
		"alt":          mfUI(mfString(500), "text", "Alt text", "basic"),
		"fit":          mfUI(mfEnum("contain", "cover", "fill", "none", "scale-down"), "select", "Fit", "appearance"),
		"borderRadius": mfUI(mfMap{"type": "number", "minimum": 0, "maximum": 256}, "number", "Corner radius", "appearance"),
		"lazy":         mfUI(mfBool(), "switch", "Lazy load", "basic"),
	}
	link := mfMap{
		"text":      mfUI(mfMap{"type": "string", "minLength": 1, "maxLength": 500}, "text", "Text", "basic"),
		"href":      mfUI(mfString(8192), "url", "URL", "basic"),
		"pageId":    mfUI(mfString(128), "page", "Page", "basic"),
		"target":    mfUI(mfEnum("_self", "_blank"), "segmented", "Open in", "basic"),
		"underline": mfUI(mfEnum("always", "hover", "none"), "select", "Underline", "appearance"),
		"disabled":  mfUI(mfBindable(mfBool()), "switch", "Disabled", "interaction"),
	}
	modal := mfMap{
		"title":               mfUI(mfString(200), "text", "Title", "basic"),
		"open":                mfUI(mfBindable(mfBool()), "switch", "Open", "basic"),
		"size":                mfUI(mfEnum("sm", "md", "lg", "xl", "full"), "select", "Size", "appearance"),
		"closeOnOverlayClick": mfUI(mfBool(), "switch", "Close on overlay click", "interaction"),
		"showCloseButton":     mfUI(mfBool(), "switch", "Close button", "interaction"),
	}
	tab := mfMap{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"key", "label"},
		"properties": mfMap{
			"key":      mfMap{"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
			"label":    mfString(200),
			"disabled": mfBool(),
		},
	}
	tabs := mfMap{
		"tabs":      mfUI(mfMap{"type": "array", "items": tab, "minItems": 1, "maxItems": 50}, "tabs", "Tabs", "basic"),
		"activeTab": mfUI(mfBindable(mfString(64)), "text", "Active tab", "basic"),
		"variant":   mfUI(mfEnum("line", "enclosed", "pills"), "select", "Variant", "appearance"),
	}
	list := mfMap{
		"items":     mfUI(mfBindable(mfMap{"type": "array", "maxItems": 100000}), "expression", "Items", "data"),
		"itemKey":   mfUI(mfString(200), "text", "Item key", "data"),
		"direction": mfUI(mfEnum("vertical", "horizontal"), "segmented", "Direction", "layout"),
		"gap":       mfUI(mfMap{"type": "number", "minimum": 0, "maximum": 512}, "number", "Gap", "layout"),
		"pageSize":  mfUI(mfMap{"type": "integer", "minimum": 1, "maximum": 1000}, "number", "Page size", "pagination"),
		"emptyText": mfUI(mfString(200), "text", "Empty text", "basic"),
	}

	valueChange := func(desc string, value mfMap) EventSpec {
		return mfEv("onValueChange", "input", desc, mfObject(mfMap{"value": value}, "value"))
	}
	focusEvents := []EventSpec{
		mfEv("onFocus", "focus", "The field received focus.", mfEmpty()),
		mfEv("onBlur", "blur", "The field lost focus.", mfEmpty()),
	}
	focusAction := mfAct("focus", "Move the keyboard focus to the field.", mfEmpty())
	clearAction := mfAct("clear", "Clear the value.", mfEmpty())

	return []Manifest{
		{
			Type: "Container", Name: "Container", Category: CategoryLayout, Icon: "square-dashed",
			Description: "A box that stacks its children vertically or horizontally.",
			Props:       mfProps(container), AcceptsChildren: true,
			Events:   []EventSpec{mfEv("onClick", "click", "The container was clicked.", mfModifierClick(nil))},
			Actions:  []ActionSpec{mfAct("scrollIntoView", "Scroll the page until the container is visible.", mfObject(mfMap{"behavior": mfEnum("auto", "smooth")}))},
			Template: Template{Props: mfVals(mfMap{"direction": "column", "gap": 8, "padding": 16}), Styles: mfVals(mfMap{"minHeight": "48px"})},
		},
		{
			Type: "Row", Name: "Row", Category: CategoryLayout, Icon: "columns-3",
			Description: "Places its children side by side.",
			Props:       mfProps(row), AcceptsChildren: true,
			Events:   []EventSpec{},
			Actions:  []ActionSpec{},
			Template: Template{Props: mfVals(mfMap{"gap": 8, "align": "center", "justify": "start", "wrap": false}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "Text", Name: "Text", Category: CategoryText, Icon: "type",
			Description: "A paragraph of plain text or Markdown.",
			Props: mfProps(mfMap{
				"text":       mfUI(mfString(100000), "textarea", "Text", "basic"),
				"format":     mfUI(mfEnum("plain", "markdown"), "segmented", "Format", "basic"),
				"align":      align,
				"color":      mfUI(mfString(64), "color", "Color", "appearance"),
				"maxLines":   mfUI(mfMap{"type": "integer", "minimum": 1, "maximum": 1000}, "number", "Max lines", "appearance"),
				"selectable": mfUI(mfBool(), "switch", "Selectable", "interaction"),
			}, "text"),
			Events:   []EventSpec{mfEv("onClick", "click", "The text was clicked.", mfModifierClick(nil))},
			Actions:  []ActionSpec{mfAct("setText", "Replace the text.", mfObject(mfMap{"text": mfString(100000)}, "text"))},
			Template: Template{Props: mfVals(mfMap{"text": "Text", "format": "plain"}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "Heading", Name: "Heading", Category: CategoryText, Icon: "heading",
			Description: "A title, level 1 to 6.",
			Props: mfProps(mfMap{
				"text":  mfUI(mfString(1000), "text", "Text", "basic"),
				"level": mfUI(mfMap{"type": "integer", "minimum": 1, "maximum": 6}, "select", "Level", "basic"),
				"align": align,
				"color": mfUI(mfString(64), "color", "Color", "appearance"),
			}, "text"),
			Events:   []EventSpec{mfEv("onClick", "click", "The heading was clicked.", mfModifierClick(nil))},
			Actions:  []ActionSpec{mfAct("setText", "Replace the text.", mfObject(mfMap{"text": mfString(1000)}, "text"))},
			Template: Template{Props: mfVals(mfMap{"text": "Heading", "level": 2}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "Button", Name: "Button", Category: CategoryInput, Icon: "mouse-pointer-click",
			Description: "A clickable button that triggers an action.",
			Props: mfProps(mfMap{
				"label":        mfUI(mfMap{"type": "string", "minLength": 1, "maxLength": 200}, "text", "Label", "basic"),
				"variant":      mfUI(mfEnum("primary", "secondary", "outline", "ghost", "danger", "link"), "select", "Variant", "appearance"),
				"size":         mfUI(mfEnum("sm", "md", "lg"), "segmented", "Size", "appearance"),
				"disabled":     mfUI(mfBindable(mfBool()), "switch", "Disabled", "interaction"),
				"loading":      mfUI(mfBindable(mfBool()), "switch", "Loading", "interaction"),
				"icon":         mfUI(mfString(64), "icon", "Icon", "appearance"),
				"iconPosition": mfUI(mfEnum("left", "right"), "segmented", "Icon position", "appearance"),
				"type":         mfUI(mfEnum("button", "submit", "reset"), "select", "Type", "basic"),
				"fullWidth":    mfUI(mfBool(), "switch", "Full width", "layout"),
				"tooltip":      mfUI(mfString(500), "text", "Tooltip", "basic"),
			}, "label"),
			Events: []EventSpec{
				mfEv("onClick", "click", "The button was clicked; the payload carries the modifier keys held.", mfModifierClick(nil)),
				mfEv("onDoubleClick", "dblclick", "The button was double-clicked.", mfModifierClick(nil)),
			},
			Actions: []ActionSpec{
				mfAct("click", "Click the button programmatically.", mfEmpty()),
				focusAction,
				mfAct("setDisabled", "Enable or disable the button.", mfObject(mfMap{"disabled": mfBool()}, "disabled")),
				mfAct("setLoading", "Show or hide the loading spinner.", mfObject(mfMap{"loading": mfBool()}, "loading")),
			},
			Template: Template{Props: mfVals(mfMap{"label": "Button", "variant": "primary", "size": "md"}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "TextInput", Name: "Text input", Category: CategoryInput, Icon: "text-cursor-input",
			Description: "A single-line text field.",
			Props:       mfProps(textInput),
			Events: append([]EventSpec{
				valueChange("The text changed (on every keystroke).", mfMap{"type": "string"}),
				mfEv("onChange", "change", "The field was committed (blur or enter after a change).", mfObject(mfMap{"value": mfMap{"type": "string"}}, "value")),
				mfEv("onEnter", "keydown", "Enter was pressed in the field.", mfObject(mfMap{"value": mfMap{"type": "string"}}, "value")),
			}, focusEvents...),
			Actions: []ActionSpec{
				mfAct("setValue", "Replace the value.", mfObject(mfMap{"value": mfMap{"type": "string"}}, "value")),
				clearAction, focusAction,
			},
			Template: Template{Props: mfVals(mfMap{"label": "Label", "placeholder": "Enter text", "inputType": "text"}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "NumberInput", Name: "Number input", Category: CategoryInput, Icon: "hash",
			Description: "A numeric field with optional bounds and step.",
			Props:       mfProps(numberInput),
			Events: append([]EventSpec{
				valueChange("The number changed; null when the field is empty.", mfMap{"type": []string{"number", "null"}}),
			}, focusEvents...),
			Actions: []ActionSpec{
				mfAct("setValue", "Replace the value.", mfObject(mfMap{"value": mfMap{"type": []string{"number", "null"}}}, "value")),
				clearAction, focusAction,
			},
			Template: Template{Props: mfVals(mfMap{"label": "Number", "step": 1}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "Select", Name: "Select", Category: CategoryInput, Icon: "list",
			Description: "A dropdown to pick one or several options.",
			Props:       mfProps(selectProps),
			Events: []EventSpec{
				mfEv("onValueChange", "change", "The selection changed.", mfObject(mfMap{
					"value": mfMap{"type": []string{"string", "number", "boolean", "array", "null"}},
					"label": mfMap{"type": []string{"string", "array", "null"}},
				}, "value")),
				mfEv("onSearch", "input", "The search text changed (searchable selects).", mfObject(mfMap{"query": mfMap{"type": "string"}}, "query")),
			},
			Actions: []ActionSpec{
				mfAct("setValue", "Select a value.", mfObject(mfMap{"value": mfMap{"type": []string{"string", "number", "boolean", "array", "null"}}}, "value")),
				clearAction, focusAction,
			},
			Template: Template{Props: mfVals(mfMap{
				"label":       "Select",
				"placeholder": "Choose an option",
				"options": []any{
					mfMap{"label": "Option 1", "value": "option1"},
					mfMap{"label": "Option 2", "value": "option2"},
				},
			}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "Checkbox", Name: "Checkbox", Category: CategoryInput, Icon: "square-check",
			Description: "A box to tick on or off.",
			Props:       mfProps(checkbox),
			Events: []EventSpec{
				mfEv("onValueChange", "change", "The box was ticked or unticked.", mfObject(mfMap{"checked": mfBool()}, "checked")),
			},
			Actions: []ActionSpec{
				mfAct("setChecked", "Tick or untick the box.", mfObject(mfMap{"checked": mfBool()}, "checked")),
				mfAct("toggle", "Flip the box.", mfEmpty()),
			},
			Template: Template{Props: mfVals(mfMap{"label": "Checkbox", "checked": false}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "Table", Name: "Table", Category: CategoryData, Icon: "table",
			Description: "Rows of data in columns, with paging, sorting and selection.",
			Props:       mfProps(table),
			Events: []EventSpec{
				mfEv("onRowClick", "click", "A row was clicked.", mfObject(mfMap{
					"row":   mfMap{"type": "object"},
					"index": mfMap{"type": "integer", "minimum": 0},
				}, "row", "index")),
				mfEv("onSelectionChange", "change", "The selected rows changed.", mfObject(mfMap{
					"selectedRows":    mfMap{"type": "array", "items": mfMap{"type": "object"}},
					"selectedIndexes": mfMap{"type": "array", "items": mfMap{"type": "integer", "minimum": 0}},
				}, "selectedRows", "selectedIndexes")),
				mfEv("onPageChange", "click", "The user went to another page.", mfObject(mfMap{"page": mfMap{"type": "integer", "minimum": 1}}, "page")),
				mfEv("onSortChange", "click", "The sort column or direction changed.", mfObject(mfMap{
					"column":    mfMap{"type": "string"},
					"direction": mfEnum("asc", "desc"),
				}, "column", "direction")),
			},
			Actions: []ActionSpec{
				mfAct("setPage", "Go to a page.", mfObject(mfMap{"page": mfMap{"type": "integer", "minimum": 1}}, "page")),
				mfAct("clearSelection", "Deselect every row.", mfEmpty()),
				mfAct("selectRow", "Select a row by index.", mfObject(mfMap{"index": mfMap{"type": "integer", "minimum": 0}}, "index")),
			},
			Template: Template{Props: mfVals(mfMap{
				"columns": []any{
					mfMap{"key": "id", "title": "ID", "type": "number"},
					mfMap{"key": "name", "title": "Name", "type": "text"},
				},
				"rows":       []any{},
				"pageSize":   10,
				"selectable": "none",
			}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "Form", Name: "Form", Category: CategoryInput, Icon: "clipboard-list",
			Description: "Groups inputs and submits their values together.",
			Props:       mfProps(form), AcceptsChildren: true,
			Events: []EventSpec{
				mfEv("onSubmit", "submit", "The form was submitted; values are keyed by input name.", mfObject(mfMap{"values": mfMap{"type": "object"}}, "values")),
				mfEv("onReset", "reset", "The form was reset.", mfEmpty()),
			},
			Actions: []ActionSpec{
				mfAct("submit", "Submit the form.", mfEmpty()),
				mfAct("reset", "Reset every input to its initial value.", mfEmpty()),
				mfAct("setValues", "Fill the inputs.", mfObject(mfMap{"values": mfMap{"type": "object"}}, "values")),
			},
			Template: Template{
				Props:  mfVals(mfMap{"submitLabel": "Submit", "layout": "vertical"}),
				Styles: mfVals(mfMap{}),
				Children: []TemplateNode{
					{Type: "TextInput", Props: mfVals(mfMap{"label": "Name", "placeholder": "Your name", "inputType": "text"})},
					{Type: "Button", Props: mfVals(mfMap{"label": "Submit", "variant": "primary", "type": "submit"})},
				},
			},
		},
		{
			Type: "Image", Name: "Image", Category: CategoryMedia, Icon: "image",
			Description: "A picture from a URL.",
			Props:       mfProps(image, "src"),
			Events: []EventSpec{
				mfEv("onClick", "click", "The image was clicked.", mfModifierClick(nil)),
				mfEv("onLoad", "load", "The image finished loading.", mfObject(mfMap{
					"naturalWidth":  mfMap{"type": "integer", "minimum": 0},
					"naturalHeight": mfMap{"type": "integer", "minimum": 0},
				}, "naturalWidth", "naturalHeight")),
				mfEv("onError", "error", "The image failed to load.", mfEmpty()),
			},
			Actions:  []ActionSpec{mfAct("setSrc", "Show another image.", mfObject(mfMap{"src": mfMap{"type": "string", "minLength": 1}}, "src"))},
			Template: Template{Props: mfVals(mfMap{"src": "https://placehold.co/600x400", "alt": "Image", "fit": "cover"}), Styles: mfVals(mfMap{"width": "100%"})},
		},
		{
			Type: "Link", Name: "Link", Category: CategoryNavigation, Icon: "link",
			Description: "A link to a URL or to another page of the app.",
			Props:       mfProps(link, "text"),
			Events: []EventSpec{
				mfEv("onClick", "click", "The link was clicked; the payload carries the modifier keys held.", mfModifierClick(nil)),
			},
			Actions:  []ActionSpec{focusAction},
			Template: Template{Props: mfVals(mfMap{"text": "Link", "href": "#", "target": "_self"}), Styles: mfVals(mfMap{})},
		},
		{
			Type: "Modal", Name: "Modal", Category: CategoryOverlay, Icon: "panel-top",
			Description: "A dialog over the page, opened and closed by actions.",
			Props:       mfProps(modal), AcceptsChildren: true,
			Events: []EventSpec{
				mfEv("onOpen", "open", "The modal opened.", mfEmpty()),
				mfEv("onClose", "close", "The modal closed, and why.", mfObject(mfMap{"reason": mfEnum("button", "overlay", "escape", "action")}, "reason")),
			},
			Actions: []ActionSpec{
				mfAct("open", "Open the modal.", mfEmpty()),
				mfAct("close", "Close the modal.", mfEmpty()),
			},
			Template: Template{
				Props:    mfVals(mfMap{"title": "Modal", "open": false, "size": "md", "showCloseButton": true}),
				Styles:   mfVals(mfMap{}),
				Children: []TemplateNode{{Type: "Text", Props: mfVals(mfMap{"text": "Modal content", "format": "plain"})}},
			},
		},
		{
			Type: "Tabs", Name: "Tabs", Category: CategoryNavigation, Icon: "folder",
			Description: "Tabbed panels; the n-th child is the n-th tab's panel.",
			Props:       mfProps(tabs, "tabs"), AcceptsChildren: true,
			Events: []EventSpec{
				mfEv("onTabChange", "click", "Another tab was selected.", mfObject(mfMap{
					"key":   mfMap{"type": "string"},
					"index": mfMap{"type": "integer", "minimum": 0},
				}, "key", "index")),
			},
			Actions: []ActionSpec{mfAct("setActiveTab", "Select a tab by key.", mfObject(mfMap{"key": mfMap{"type": "string"}}, "key"))},
			Template: Template{
				Props: mfVals(mfMap{
					"tabs":      []any{mfMap{"key": "tab1", "label": "Tab 1"}, mfMap{"key": "tab2", "label": "Tab 2"}},
					"activeTab": "tab1",
					"variant":   "line",
				}),
				Styles: mfVals(mfMap{}),
				Children: []TemplateNode{
					{Type: "Container", Props: mfVals(mfMap{"direction": "column", "gap": 8, "padding": 16})},
					{Type: "Container", Props: mfVals(mfMap{"direction": "column", "gap": 8, "padding": 16})},
				},
			},
		},
		{
			Type: "List", Name: "List", Category: CategoryData, Icon: "rows-3",
			Description: "Repeats its children once per item; children see the item as {{item}}.",
			Props:       mfProps(list), AcceptsChildren: true,
			Events: []EventSpec{
				mfEv("onItemClick", "click", "An item was clicked.", mfObject(mfMap{
					"item":  mfMap{},
					"index": mfMap{"type": "integer", "minimum": 0},
				}, "item", "index")),
			},
			Actions: []ActionSpec{mfAct("scrollToIndex", "Scroll to an item.", mfObject(mfMap{"index": mfMap{"type": "integer", "minimum": 0}}, "index"))},
			Template: Template{
				Props:    mfVals(mfMap{"items": []any{}, "direction": "vertical", "gap": 8}),
				Styles:   mfVals(mfMap{}),
				Children: []TemplateNode{{Type: "Text", Props: mfVals(mfMap{"text": "{{ item.name }}", "format": "plain"})}},
			},
		},
	}
}

// builtinQuickActions are what an "actions" binding may list: common things done without code.
func builtinQuickActions() []ActionSpec {
	return []ActionSpec{
		mfAct("navigate", "Go to a page of the app (pageId) or to a URL.", mfJSON(mfMap{
			"$schema": jsonSchemaDraft, "type": "object", "additionalProperties": false,
			"properties": mfMap{
				"pageId": mfMap{"type": "string", "minLength": 1, "maxLength": 128},
				"url":    mfMap{"type": "string", "minLength": 1, "maxLength": 8192},
				"params": mfMap{"type": "object"},
				"newTab": mfBool(),
			},
			"oneOf": []any{mfMap{"required": []string{"pageId"}}, mfMap{"required": []string{"url"}}},
		})),
		mfAct("setState", "Set a value in the page state (path is dotted, value may be an expression).", mfObject(mfMap{
			"path":  mfMap{"type": "string", "minLength": 1, "maxLength": 500},
			"value": mfMap{},
		}, "path", "value")),
		mfAct("runQuery", "Run a query, optionally with parameters.", mfObject(mfMap{
			"queryId": mfMap{"type": "string", "minLength": 1, "maxLength": 128},
			"params":  mfMap{"type": "object"},
		}, "queryId")),
		mfAct("showModal", "Open a Modal node.", mfObject(mfMap{"modalId": mfMap{"type": "string", "minLength": 1, "maxLength": 128}}, "modalId")),
		mfAct("hideModal", "Close a Modal node.", mfObject(mfMap{"modalId": mfMap{"type": "string", "minLength": 1, "maxLength": 128}}, "modalId")),
		mfAct("showNotification", "Show a toast.", mfObject(mfMap{
			"message": mfMap{"type": "string", "minLength": 1, "maxLength": 1000},
			"level":   mfEnum("info", "success", "warning", "error"),
		}, "message")),
		mfAct("dispatch", "Dispatch an action to the page reducer.", mfObject(mfMap{
			"type":    mfMap{"type": "string", "minLength": 1, "maxLength": 200},
			"payload": mfMap{},
		}, "type")),
		mfAct("callComponent", "Call an action a component of the page declares (a Table's refresh, an Input's focus).", mfObject(mfMap{
			"nodeId": mfMap{"type": "string", "minLength": 1, "maxLength": 128},
			"action": mfMap{"type": "string", "minLength": 1, "maxLength": 100},
			"params": mfMap{"type": "object"},
		}, "nodeId", "action")),
		mfAct("runWorkflow", "Run a backend workflow with a payload.", mfObject(mfMap{
			"workflowId": mfMap{"type": "string", "minLength": 1, "maxLength": 128},
			"payload":    mfMap{},
		}, "workflowId")),
		mfAct("copyToClipboard", "Copy text to the clipboard.", mfObject(mfMap{"text": mfMap{"type": "string", "maxLength": 100000}}, "text")),
	}
}
