package bundle

// Verify reads the whole bundle at path and checks every file against the
// manifest; see [Reader.Verify].
func Verify(path string) (Manifest, error) { return Reader{}.Verify(path) }

// Verify reads the whole bundle at path and checks every file against the
// manifest. When the archive itself can be read to its end, Verify returns
// the manifest and, if any member is wrong (unsafe, unlisted, duplicate,
// missing, of the wrong size or hash), a [*VerifyError] listing all of
// them. A bundle that cannot be read through (not a bundle, another
// version, corrupt or truncated, past the limits) gives a single [*Error].
func (r Reader) Verify(path string) (Manifest, error) {
	s, err := r.open(path, false)
	if err != nil {
		return Manifest{}, err
	}
	defer s.close()
	var problems []*Error
	err = s.each(nil, func(p *Error) error {
		problems = append(problems, p)
		return nil
	})
	if err != nil {
		return Manifest{}, err
	}
	if len(problems) > 0 {
		return s.m, &VerifyError{Bundle: path, Problems: problems}
	}
	return s.m, nil
}
