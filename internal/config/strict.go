package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// checkKeys walks a decoded YAML node tree alongside the Go type it will be
// decoded into and reports the first mapping key that names no field.
//
// yaml.v3's KnownFields does not reach beneath a type's own UnmarshalYAML
// (node.Decode there is lenient), so roomwatch checks keys itself; types may then
// use custom unmarshalers (to record their line, say) without losing strictness.
func checkKeys(node *yaml.Node, t reflect.Type) error {
	if node == nil {
		return nil
	}
	if node.Kind == yaml.DocumentNode {
		for _, c := range node.Content {
			if err := checkKeys(c, t); err != nil {
				return err
			}
		}
		return nil
	}
	if node.Kind == yaml.AliasNode {
		return checkKeys(node.Alias, t)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return nil // the decoder reports the type mismatch
		}
		fields := map[string]reflect.Type{}
		openMap := collectFields(t, fields)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if k.Tag == "!!merge" || k.Value == "<<" {
				if err := checkKeys(v, t); err != nil {
					return err
				}
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				if openMap {
					continue
				}
				return &LineError{Line: k.Line, Msg: fmt.Sprintf("field %s not found in type %s", k.Value, t.Name())}
			}
			if err := checkKeys(v, ft); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if node.Kind == yaml.SequenceNode {
			for _, c := range node.Content {
				if err := checkKeys(c, t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if node.Kind == yaml.MappingNode {
			for i := 1; i < len(node.Content); i += 2 {
				if err := checkKeys(node.Content[i], t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// collectFields maps YAML key names to field types, following ",inline" fields
// as yaml.v3 does. It reports whether an inline map accepts any other key.
func collectFields(t reflect.Type, fields map[string]reflect.Type) (openMap bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				if collectFields(ft, fields) {
					openMap = true
				}
			case reflect.Map:
				openMap = true
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return openMap
}
