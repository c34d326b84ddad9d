"""Views of the activities app; each module contributes its own urlpatterns to activities/urls.py."""
