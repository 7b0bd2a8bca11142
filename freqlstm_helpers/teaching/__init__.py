"""What the notebooks need to teach: the student's code first, the course's as a fallback."""
