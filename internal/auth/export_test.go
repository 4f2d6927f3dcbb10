package auth

// BcryptStats returns, for the API and the intake token lists, how many
// verified bcrypt tokens are cached and how many bcrypt comparisons were made.
func (a *Authenticator) BcryptStats() (apiCached, apiCompares, intakeCached, intakeCompares int) {
	return a.api.cached(), int(a.api.compares.Load()), a.intake.cached(), int(a.intake.compares.Load())
}
